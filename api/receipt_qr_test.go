package api

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"testing"
)

func TestReceiptQR(t *testing.T) {
	s := newTestServer(t, nil)
	r := s.postJSON("/v1/check", []byte(`{"form":"edu_sports_halfyear","unit":"示例区","period":"2025H1","figures":{"gold_medals":3,"events_entered":4}}`))
	var out struct {
		Receipt json.RawMessage `json:"receipt"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || len(out.Receipt) == 0 {
		t.Fatalf("check answer without receipt: %s", trunc(r.Body))
	}
	q := s.postJSON("/v1/receipts/qr", []byte(`{"receipt":`+string(out.Receipt)+`}`))
	if q.Status != http.StatusOK || q.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: status %d type %q: %s", q.Status, q.Header.Get("Content-Type"), trunc(q.Body))
	}
	img, err := png.Decode(bytes.NewReader(q.Body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != qrPixels || b.Dy() != qrPixels {
		t.Errorf("image %v, want %d×%d", b, qrPixels, qrPixels)
	}
	for _, bad := range []string{`{}`, `{"receipt":{}}`, `{"receipt":{"kid":"k"}}`, `{"receipt":1}`, `{"receipt":{"sig":"s","kid":"k"},"x":1}`} {
		r := s.postJSON("/v1/receipts/qr", []byte(bad))
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, r.Status)
		}
	}
}
