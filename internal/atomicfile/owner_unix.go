//go:build unix

package atomicfile

import (
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives f, the temporary file that replaces the file st
// describes, that file's owner and group, as writing it in place would
// keep them: root replacing a user's output made it root's. Only root can
// give a file to another user; anyone else gets the group where they are
// in it, and otherwise the file is the writer's, as a new one is. The
// caller sets the mode after it, which a chown can clear bits of.
func keepOwner(f *os.File, st fs.FileInfo) {
	old, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	cur, err := f.Stat()
	if err != nil {
		return
	}
	if now, ok := cur.Sys().(*syscall.Stat_t); ok && now.Uid == old.Uid && now.Gid == old.Gid {
		return
	}
	if f.Chown(int(old.Uid), int(old.Gid)) != nil {
		f.Chown(-1, int(old.Gid))
	}
}
