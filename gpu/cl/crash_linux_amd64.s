#include "textflag.h"

// NOW_NS leaves CLOCK_MONOTONIC's nanoseconds in AX (clock_gettime(2)
// into crashClock), clobbering DI, SI, CX and R11.
#define NOW_NS \
	MOVL	$228, AX; \
	MOVL	$1, DI; \
	LEAQ	·crashClock(SB), SI; \
	SYSCALL; \
	MOVQ	·crashClock(SB), AX; \
	IMULQ	$1000000000, AX; \
	ADDQ	·crashClock+8(SB), AX

// crashHandler is the SA_SIGINFO handler of the crash signals (crash.go),
// called by the kernel with DI the signal, SI its siginfo_t and DX its
// ucontext_t, on the signal stack of Go's threads or, on a driver's own
// thread, on its stack: it uses none. A signal the kernel raised for a
// fault (si_code > 0), or SIGABRT raised by this process's abort(3)
// (si_code SI_TKILL, si_pid its own), at an address outside Go's code
// (uc_mcontext's rip) is a driver's crash: it appends CrashMarkWord to
// each mark of crashMarks' table (the evidence of the crash), unlinks the named temporary
// files of crashNames' table and removes crashDirs' folders where they
// are empty, writes crashErase's bytes (a progress line's
// erasure), crashTab's head, the signal's name and crashTab's tail on
// stderr, crashTab's document (its head, the name, its tail) on stdout
// where it has one, and crashReport's report on stdout and note on stderr
// where it has them, each in parts while poll(2) says its fd takes more,
// for crashOutWait in all and after it only what an fd takes without
// waiting (stdout's part cut short, with crashCutNote on stderr last,
// where stdout did not take it whole), and ends the process with exit
// status 1 whatever stderr and stdout took. Every
// other signal goes on to Go's handler, as it came.
TEXT ·crashHandler(SB),NOSPLIT|NOFRAME,$0-0
	MOVL	8(SI), AX	// si_code
	CMPL	DI, $6	// SIGABRT
	JNE	fault
	CMPL	AX, $-6	// SI_TKILL
	JNE	golang
	MOVL	16(SI), R8	// si_pid
	MOVL	$39, AX	// getpid
	SYSCALL
	CMPL	AX, R8
	JNE	golang
	JMP	where
fault:
	CMPL	AX, $0
	JLE	golang	// sent by a process, not raised by a fault
where:
	MOVQ	168(DX), AX	// uc_mcontext's rip
	CMPQ	AX, ·goTextLo(SB)
	JCS	driver
	CMPQ	AX, ·goTextHi(SB)
	JCS	golang
driver:
	MOVQ	·crashTab(SB), R12
	CMPQ	R12, $0
	JEQ	golang
	MOVQ	DI, R13
	// The marks of the driver's calls under way first (crashmarks.go):
	// CrashMarkWord appended to each, the evidence that the driver
	// crashed, which a later start reads.
	LEAQ	·crashMarks(SB), R8
	MOVQ	$32, R9	// crashMarkSlots
mark:
	CMPQ	R9, $0
	JEQ	names
	MOVL	0(R8), AX	// the slot's state
	CMPL	AX, $2	// a mark
	JNE	nextmark
	MOVL	$2, AX	// open
	MOVQ	R8, DI
	ADDQ	·crashMarkPath(SB), DI
	MOVL	$0x20401, SI	// O_WRONLY|O_APPEND|O_NOFOLLOW
	XORL	DX, DX
	SYSCALL
	CMPQ	AX, $0
	JLT	nextmark
	MOVQ	AX, BX
	MOVL	$1, AX	// write
	MOVQ	BX, DI
	LEAQ	·crashMarkText(SB), SI
	MOVQ	$8, DX	// len(CrashMarkWord)
	SYSCALL
	MOVL	$3, AX	// close
	MOVQ	BX, DI
	SYSCALL
nextmark:
	ADDQ	·crashMarkSize(SB), R8
	DECQ	R9
	JMP	mark
names:
	// The named temporary files then (atomicfile's table): a write
	// below may block on a stderr nobody reads.
	MOVQ	·crashNames(SB), R8
	MOVQ	·crashNameSlots(SB), R9
unlink:
	CMPQ	R9, $0
	JEQ	rmdirs
	MOVL	0(R8), AX	// the slot's state
	CMPL	AX, $2	// named
	JNE	next
	MOVL	$87, AX	// unlink
	MOVQ	R8, DI
	ADDQ	·crashNamePath(SB), DI
	SYSCALL
next:
	ADDQ	·crashNameSize(SB), R8
	DECQ	R9
	JMP	unlink
rmdirs:
	// Then the folders made for them, each where it is empty.
	MOVQ	·crashDirs(SB), BX
	CMPQ	BX, $0
	JEQ	erase
	MOVQ	0(BX), R8	// the paths, each ending in a NUL
	MOVQ	8(BX), R9	// the bytes left
dir:
	CMPQ	R9, $0
	JLE	erase
	MOVL	$84, AX	// rmdir
	MOVQ	R8, DI
	SYSCALL
past:
	MOVBLZX	0(R8), AX	// on past the path's NUL
	INCQ	R8
	DECQ	R9
	CMPL	AX, $0
	JNE	past
	JMP	dir
erase:
	// The writes, in order, into crashSegs' table (fd, bytes, length
	// each): the progress line's erasure, the error (crashTab's head, the
	// signal's name, its tail) on stderr, the document on stdout where
	// there is one, the report on stdout and its note on stderr where
	// there are.
	LEAQ	·crashSegs(SB), R10
	MOVQ	·crashErase(SB), BX
	CMPQ	BX, $0
	JEQ	message
	MOVQ	$2, 0(R10)
	MOVQ	0(BX), AX
	MOVQ	AX, 8(R10)
	MOVQ	8(BX), AX
	MOVQ	AX, 16(R10)
	ADDQ	$24, R10
message:
	MOVQ	R13, BX
	SHLQ	$4, BX
	LEAQ	·sigNames(SB), R14
	ADDQ	BX, R14
	MOVQ	$2, 0(R10)
	MOVQ	0(R12), AX
	MOVQ	AX, 8(R10)
	MOVQ	8(R12), AX
	MOVQ	AX, 16(R10)
	MOVQ	$2, 24(R10)
	MOVQ	0(R14), AX
	MOVQ	AX, 32(R10)
	MOVQ	8(R14), AX
	MOVQ	AX, 40(R10)
	MOVQ	$2, 48(R10)
	MOVQ	16(R12), AX
	MOVQ	AX, 56(R10)
	MOVQ	24(R12), AX
	MOVQ	AX, 64(R10)
	ADDQ	$72, R10
	MOVQ	40(R12), DX	// the document on stdout, where there is one
	CMPQ	DX, $0
	JEQ	report
	MOVQ	$1, 0(R10)
	MOVQ	32(R12), AX
	MOVQ	AX, 8(R10)
	MOVQ	DX, 16(R10)
	MOVQ	$1, 24(R10)
	MOVQ	0(R14), AX
	MOVQ	AX, 32(R10)
	MOVQ	8(R14), AX
	MOVQ	AX, 40(R10)
	MOVQ	$1, 48(R10)
	MOVQ	48(R12), AX
	MOVQ	AX, 56(R10)
	MOVQ	56(R12), AX
	MOVQ	AX, 64(R10)
	ADDQ	$72, R10
report:
	MOVQ	·crashReport(SB), BX	// the report of what finished, and its note
	CMPQ	BX, $0
	JEQ	writes
	MOVQ	$1, 0(R10)
	MOVQ	0(BX), AX
	MOVQ	AX, 8(R10)
	MOVQ	8(BX), AX
	MOVQ	AX, 16(R10)
	MOVQ	$2, 24(R10)
	MOVQ	16(BX), AX
	MOVQ	AX, 32(R10)
	MOVQ	24(BX), AX
	MOVQ	AX, 40(R10)
	ADDQ	$48, R10
writes:
	MOVQ	R10, R13	// the table's end (SYSCALL clobbers R11 and CX)
	LEAQ	·crashSegs(SB), R10
	XORL	R14, R14	// 1 once stdout's writes are cut short, 2 once its note is in the table
	// A stderr or stdout that takes none (a full pipe that no one reads)
	// held the process until its reader went: each write is made in
	// parts of a pipe's page while poll(2) says its fd takes more, all of
	// them until crashOutWait from now (the deadline in R15,
	// CLOCK_MONOTONIC's nanoseconds), and after it only what an fd takes
	// without waiting; a write stdout did not take whole is cut short
	// (R14), and crashCutNote goes last on stderr.
	NOW_NS	// CLOCK_MONOTONIC's nanoseconds in AX
	MOVQ	AX, R15
	ADDQ	·crashOutWait(SB), R15
seg:
	CMPQ	R10, R13
	JCC	segsdone
	MOVQ	0(R10), R12	// the fd
	MOVQ	8(R10), R8	// the bytes left
	MOVQ	16(R10), R9
out:
	CMPQ	R9, $0
	JLE	nextseg
	NOW_NS	// CLOCK_MONOTONIC's nanoseconds in AX
	MOVQ	$0, DX	// past the deadline: poll does not wait
	MOVQ	R15, CX
	SUBQ	AX, CX	// the nanoseconds left
	JLE	poll
	MOVQ	CX, AX
	XORL	DX, DX
	MOVQ	$1000000, CX
	DIVQ	CX
	INCQ	AX
	MOVQ	AX, DX	// poll's timeout: the milliseconds left, rounded up
poll:
	MOVQ	$0x400000000, CX	// events POLLOUT, revents 0
	ORQ	R12, CX	// the fd
	MOVQ	CX, ·crashPoll(SB)
	MOVL	$7, AX	// poll
	LEAQ	·crashPoll(SB), DI
	MOVL	$1, SI
	SYSCALL
	CMPQ	AX, $-4	// EINTR
	JEQ	out
	CMPQ	AX, $0
	JLE	cut	// no room before the deadline, or no poll
	MOVQ	R9, DX
	CMPQ	DX, $4096	// what a pipe with room takes without waiting
	JLE	part
	MOVQ	$4096, DX
part:
	MOVL	$1, AX	// write
	MOVQ	R12, DI
	MOVQ	R8, SI
	SYSCALL
	CMPQ	AX, $-11	// EAGAIN: an fd set non-blocking
	JEQ	out
	CMPQ	AX, $0
	JLE	nextseg	// an error: the reader gone (EPIPE), an fd that takes none
	ADDQ	AX, R8
	SUBQ	AX, R9
	JMP	out
cut:
	CMPQ	R12, $1
	JNE	nextseg
	CMPQ	R14, $0
	JNE	nextseg
	MOVL	$1, R14
nextseg:
	ADDQ	$24, R10
	JMP	seg
segsdone:
	CMPQ	R14, $1
	JNE	exit
	MOVL	$2, R14	// crashCutNote, last, on stderr
	MOVQ	$2, 0(R13)
	MOVQ	·crashCutNote(SB), AX
	MOVQ	AX, 8(R13)
	MOVQ	·crashCutNote+8(SB), AX
	MOVQ	AX, 16(R13)
	ADDQ	$24, R13
	JMP	seg
exit:
	MOVL	$1, DI
	MOVL	$231, AX	// exit_group
	SYSCALL
	INT	$3
golang:
	LEAQ	·goHandlers(SB), AX
	MOVQ	(AX)(DI*8), AX
	JMP	AX

// func crashHandlerPC() uintptr
TEXT ·crashHandlerPC(SB),NOSPLIT,$0-8
	MOVQ	$·crashHandler(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
