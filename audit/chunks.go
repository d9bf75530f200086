package audit

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
)

// A CSV file is read in chunks of lines, so that the reading goroutine
// only does what needs the rows' order: a splitter cuts the input into
// chunks at line ends, workers split the chunks' lines into cells and
// read their figures, and the reading goroutine adds the rows of each
// chunk in turn (units, periods, duplicates, limits, problems). A line
// with a quote may start a record of several lines: it ends its chunk
// and is read there by csvRecords, as csvRecords.Read reads it, so that
// a chunk never cuts a record.
const (
	chunkBytes = 16 << 10 // a chunk's lines stop after this many bytes…
	chunkLines = 512      // …or this many lines (csvRecords.chunk, which tests lower)
)

// csvChunk is a run of lines of a CSV file: cut by the splitter, parsed
// by a worker, then added by the reading goroutine.
type csvChunk struct {
	// Cut by the splitter (csvRecords.cut):
	text   string   // lines with no quote, each with its newline (but the file's last)
	line   int      // the line of text's first line
	quoted []string // the record with a quote after text, or nil
	qline  int      // its line
	// problem is that of a broken record with a quote after text, when
	// hasProblem.
	problem    Problem
	hasProblem bool
	err        error // what ended the input after the chunk: io.EOF, a limit, a read error

	// Parsed by a worker (csvParser.parse): the rows of text and quoted
	// that are not blank, their figures n by n in vals.
	rows []parsed
	vals []float64
	done chan struct{}
}

// cut reads the next chunk of lines into ch. scratch is the splitter's,
// reused from chunk to chunk: ch.text is a copy of what is read, which
// the bytes read from the next chunk do not overwrite.
func (c *csvRecords) cut(ch *csvChunk, scratch []byte) []byte {
	scratch = scratch[:0]
	ch.line, ch.quoted, ch.hasProblem, ch.err = c.line+1, nil, false, nil
	for n := 0; n < c.chunk.lines && len(scratch) < c.chunk.bytes; n++ {
		raw, err := c.readLine()
		if err != nil {
			ch.err = err
			break
		}
		if bytes.IndexByte(raw, '"') >= 0 {
			rec, line, err := c.quotedRecord(raw)
			if p, ok := csvProblem(err); ok {
				ch.problem, ch.hasProblem = p, true
			} else if err != nil {
				ch.err = err
			} else {
				ch.quoted, ch.qline = slices.Clone(rec), line // its strings are the record's own
			}
			break
		}
		scratch = append(scratch, raw...)
	}
	ch.text = string(scratch)
	return scratch
}

// csvParser is a worker's: it turns a chunk's lines into rows.
type csvParser struct {
	a      *Auditor
	cols   columns // the reader's, with cells of its own
	fields []string
}

func (p *csvParser) parse(ch *csvChunk) {
	ch.rows, ch.vals = ch.rows[:0], ch.vals[:0]
	line := ch.line
	for text := ch.text; text != ""; line++ {
		raw := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			raw, text = text[:i+1], text[i+1:]
		} else {
			text = ""
		}
		if b := trimLine(raw); b != "" {
			p.fields = splitLine(p.fields[:0], b)
			p.record(ch, line, p.fields)
		}
	}
	if ch.quoted != nil {
		p.record(ch, ch.qline, ch.quoted)
	}
}

// record adds a record's row to ch, as csvReader.Next yields it.
func (p *csvParser) record(ch *csvChunk, line int, cells []string) {
	if blank(cells) {
		return
	}
	row, probs := p.cols.row(line, cells)
	n := p.a.store.n
	at := len(ch.vals)
	ch.vals = slices.Grow(ch.vals, n)[:at+n]
	r := p.a.prepare(&row, ch.vals[at:at+n])
	r.probs = probs
	ch.rows = append(ch.rows, r)
}

// readCSV reads the rows of a CSV file through the chunks: the splitter
// and the workers run while the rows are added, a fixed number of chunks
// in flight, so that what is held is bounded by chunkBytes, chunkLines
// and Limits.LineBytes, whatever the input.
func (a *Auditor) readCSV(file int32, c *csvReader) error {
	probs, err := c.header()
	a.addProblems(file, probs)
	if err != nil {
		return err
	}
	workers := a.opts.Workers
	inFlight := 2*workers + 2
	// free holds the chunks not in flight; the other channels have room
	// for every chunk, so that only a receive from free waits.
	free := make(chan *csvChunk, inFlight)
	for range inFlight {
		free <- &csvChunk{done: make(chan struct{}, 1)}
	}
	toParse := make(chan *csvChunk, inFlight)
	inOrder := make(chan *csvChunk, inFlight)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(toParse)
		defer close(inOrder)
		var scratch []byte
		for {
			var ch *csvChunk
			select {
			case <-stop:
				return
			default:
			}
			select {
			case ch = <-free:
			case <-stop:
				return
			}
			scratch = c.r.cut(ch, scratch)
			toParse <- ch
			inOrder <- ch
			if ch.err != nil {
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			p := csvParser{a: a, cols: *c.cols}
			p.cols.cells = nil
			for ch := range toParse {
				p.parse(ch)
				ch.done <- struct{}{}
			}
		})
	}
	// Whatever ends the file, the splitter and the workers are done with
	// it (and with c) before Read returns.
	defer wg.Wait()
	defer close(stop)
	for ch := range inOrder {
		<-ch.done
		if err := a.addChunk(file, ch); err != nil {
			return err
		}
		if ch.err != nil {
			if errors.Is(ch.err, io.EOF) {
				return nil
			}
			return ch.err
		}
		free <- ch
	}
	return nil
}

// addChunk adds the rows of a chunk parsed, in order, each after its
// input problems, then the problem of its broken record, if any. The
// units' slots are read first, in one loop: those reads overlap, where
// the lookups, one after the other, would wait for each.
func (a *Auditor) addChunk(file int32, ch *csvChunk) error {
	var sink int32
	for i := range ch.rows {
		sink += a.units.touch(ch.rows[i].hash)
	}
	a.units.sink = sink
	n := a.store.n
	for i := range ch.rows {
		r := &ch.rows[i]
		a.addProblems(file, r.probs)
		if err := a.addParsed(file, r, ch.vals[i*n:(i+1)*n]); err != nil {
			return err
		}
	}
	if ch.hasProblem {
		a.addProblems(file, []Problem{ch.problem})
	}
	return nil
}
