#include "textflag.h"

// crashHandler is the SA_SIGINFO handler of the crash signals (crash.go),
// called by the kernel with DI the signal, SI its siginfo_t and DX its
// ucontext_t, on the signal stack of Go's threads or, on a driver's own
// thread, on its stack: it uses none. A signal the kernel raised for a
// fault (si_code > 0), or SIGABRT raised by this process's abort(3)
// (si_code SI_TKILL, si_pid its own), at an address outside Go's code
// (uc_mcontext's rip) is a driver's crash: it unlinks the named temporary
// files of crashNames' table and removes crashDirs' folders where they
// are empty, writes crashErase's bytes (a progress line's
// erasure), crashTab's head, the signal's name and crashTab's tail on
// stderr, crashTab's document (its head, the name, its tail) on stdout
// where it has one, and crashReport's report on stdout and note on stderr
// where it has them (the report given up on, with a note, where stdout
// takes none of it for crashOutWait), and ends the process with exit
// status 1. Every
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
	// The named temporary files first (atomicfile's table): a write
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
	MOVQ	·crashErase(SB), BX	// the progress line's erasure
	CMPQ	BX, $0
	JEQ	message
	MOVL	$1, AX	// write
	MOVL	$2, DI
	MOVQ	0(BX), SI
	MOVQ	8(BX), DX
	SYSCALL
message:
	MOVL	$1, AX	// write
	MOVL	$2, DI
	MOVQ	0(R12), SI
	MOVQ	8(R12), DX
	SYSCALL
	MOVQ	R13, BX
	SHLQ	$4, BX
	LEAQ	·sigNames(SB), R14
	ADDQ	BX, R14
	MOVL	$1, AX
	MOVL	$2, DI
	MOVQ	0(R14), SI
	MOVQ	8(R14), DX
	SYSCALL
	MOVL	$1, AX
	MOVL	$2, DI
	MOVQ	16(R12), SI
	MOVQ	24(R12), DX
	SYSCALL
	MOVQ	40(R12), DX	// the document on stdout, where there is one
	CMPQ	DX, $0
	JEQ	report
	MOVL	$1, AX
	MOVL	$1, DI
	MOVQ	32(R12), SI
	SYSCALL
	MOVL	$1, AX
	MOVL	$1, DI
	MOVQ	0(R14), SI
	MOVQ	8(R14), DX
	SYSCALL
	MOVL	$1, AX
	MOVL	$1, DI
	MOVQ	48(R12), SI
	MOVQ	56(R12), DX
	SYSCALL
report:
	MOVQ	·crashReport(SB), BX	// the report of what finished, and its note
	CMPQ	BX, $0
	JEQ	exit
	MOVQ	0(BX), R8	// the report's bytes left
	MOVQ	8(BX), R9
	XORL	R14, R14	// 1 once the report is cut short
	// A stdout that takes none (a full pipe that no one reads) held the
	// process until its reader went: the report is written in parts of
	// a pipe's page while poll(2) says stdout takes more, until
	// crashOutWait from now (the deadline in R15, CLOCK_MONOTONIC's
	// nanoseconds), and then cut short (R14) with crashCutNote.
	MOVL	$228, AX	// clock_gettime: CLOCK_MONOTONIC's nanoseconds in AX
	MOVL	$1, DI
	LEAQ	·crashClock(SB), SI
	SYSCALL
	MOVQ	·crashClock(SB), AX
	IMULQ	$1000000000, AX
	ADDQ	·crashClock+8(SB), AX
	MOVQ	AX, R15
	ADDQ	·crashOutWait(SB), R15
out:
	CMPQ	R9, $0
	JLE	note
	MOVL	$228, AX	// clock_gettime: CLOCK_MONOTONIC's nanoseconds in AX
	MOVL	$1, DI
	LEAQ	·crashClock(SB), SI
	SYSCALL
	MOVQ	·crashClock(SB), AX
	IMULQ	$1000000000, AX
	ADDQ	·crashClock+8(SB), AX
	MOVQ	R15, CX
	SUBQ	AX, CX	// the nanoseconds left
	JLE	cut
	MOVQ	CX, AX
	XORL	DX, DX
	MOVQ	$1000000, CX
	DIVQ	CX
	INCQ	AX
	MOVQ	AX, DX	// poll's timeout: the milliseconds left, rounded up
	MOVQ	$0x400000001, CX	// fd 1, events POLLOUT, revents 0
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
	MOVL	$1, DI
	MOVQ	R8, SI
	SYSCALL
	CMPQ	AX, $-11	// EAGAIN: a stdout set non-blocking
	JEQ	out
	CMPQ	AX, $0
	JLE	note	// an error: the reader gone (EPIPE), a stdout that takes none
	ADDQ	AX, R8
	SUBQ	AX, R9
	JMP	out
cut:
	MOVL	$1, R14
note:
	MOVQ	24(BX), DX
	CMPQ	DX, $0
	JEQ	cutnote
	MOVL	$1, AX	// write
	MOVL	$2, DI
	MOVQ	16(BX), SI
	SYSCALL
cutnote:
	CMPQ	R14, $0
	JEQ	exit
	MOVL	$1, AX	// write
	MOVL	$2, DI
	MOVQ	·crashCutNote(SB), SI
	MOVQ	·crashCutNote+8(SB), DX
	SYSCALL
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
