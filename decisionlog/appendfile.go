package decisionlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// file is what an appendFile needs of an *os.File; tests inject one that
// writes short.
type file interface {
	io.Writer
	io.ReaderAt
	Truncate(size int64) error
	Sync() error
	Close() error
	Stat() (os.FileInfo, error)
}

// openFile opens the files of FileSink and the spill; a variable so that
// tests can make writes fail half-way.
var openFile = func(name string) (file, error) {
	return os.OpenFile(name, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o640)
}

// TornSuffix names the side file where opening a log moves an unterminated
// last line (a write cut short by a crash): Path + TornSuffix. ReadFiles
// reports what is in it as unreadable.
const TornSuffix = ".torn"

// appendFile appends whole lines or nothing: a write that stops short is
// cut back before the error is returned, so that the retry does not
// follow a fragment of itself, and opening moves a fragment left by a
// crash aside.
type appendFile struct {
	f    file
	size int64
}

// openAppend opens path for appending lines. An unterminated last line is
// moved to path+TornSuffix (ending it with a newline there) and cut off;
// torn reports whether that happened.
func openAppend(path string) (a *appendFile, torn bool, err error) {
	f, err := openFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("decisionlog: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("decisionlog: %w", err)
	}
	a = &appendFile{f: f, size: st.Size()}
	if torn, err = a.repair(path + TornSuffix); err != nil {
		f.Close()
		return nil, false, err
	}
	return a, torn, nil
}

// repair cuts an unterminated tail off and appends it to side.
func (a *appendFile) repair(side string) (bool, error) {
	if a.size == 0 {
		return false, nil
	}
	// Look back for the last newline, a block at a time.
	const block = 64 << 10
	end := a.size
	buf := make([]byte, block)
	for end > 0 {
		start := max(0, end-block)
		n, err := a.f.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, fmt.Errorf("decisionlog: reading the log's tail: %w", err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			end = start + int64(i) + 1
			break
		}
		end = start
	}
	if end == a.size {
		return false, nil
	}
	frag := io.NewSectionReader(a.f, end, a.size-end)
	sf, err := os.OpenFile(side, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return false, fmt.Errorf("decisionlog: %w", err)
	}
	_, err = io.Copy(sf, frag)
	if err == nil {
		_, err = sf.Write([]byte{'\n'})
	}
	if err = errors.Join(err, sf.Sync(), sf.Close()); err != nil {
		return false, fmt.Errorf("decisionlog: moving a torn line aside: %w", err)
	}
	if err := a.f.Truncate(end); err != nil {
		return false, fmt.Errorf("decisionlog: cutting a torn line: %w", err)
	}
	a.size = end
	return true, nil
}

// errCutBack marks a failed write that could not be cut back: the file
// must be reopened (which repairs it) before it is written again.
var errCutBack = errors.New("decisionlog: a failed write could not be cut back")

// write appends b, which holds whole lines. On error the file is as it
// was before, or the error wraps errCutBack.
func (a *appendFile) write(b []byte) error {
	n, err := a.f.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err == nil {
		a.size += int64(n)
		return nil
	}
	if n > 0 {
		if terr := a.f.Truncate(a.size); terr != nil {
			return fmt.Errorf("%w: %w (%w)", errCutBack, err, terr)
		}
	}
	return fmt.Errorf("decisionlog: %w", err)
}

func (a *appendFile) sync() error  { return a.f.Sync() }
func (a *appendFile) close() error { return a.f.Close() }
