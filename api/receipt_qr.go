package api

import (
	"encoding/json"
	"net/http"

	"github.com/figcheck/figcheck/checker"
	"github.com/figcheck/figcheck/receipt"
	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"
)

// qrPixels is the side of the receipt's QR code image.
const qrPixels = 320

// receiptQR answers POST /v1/receipts/qr {receipt}: a PNG QR code of the
// receipt as compact JSON, for the printed 自查回执. Scanning it gives the
// receipt that /v1/receipts/verify checks against the submission; the code
// itself proves nothing, so it is drawn for any well-formed receipt.
func (s *Server) receiptQR(c *gin.Context) error {
	body, err := readJSONBody(c, s.cfg.Limits.CheckBody)
	if err != nil {
		return err
	}
	var req struct {
		Receipt *receipt.Receipt `json:"receipt"`
	}
	if err := checker.DecodeJSON(body, &req, `the body must be {"receipt": {...}}`); err != nil {
		return err
	}
	if req.Receipt == nil || req.Receipt.Sig == "" || req.Receipt.KeyID == "" {
		return apiError(CodeInvalidRequest, "receipt with kid and sig is required")
	}
	payload, err := json.Marshal(req.Receipt)
	if err != nil {
		return apiError(CodeInvalidRequest, err.Error())
	}
	png, err := qrcode.Encode(string(payload), qrcode.Medium, qrPixels)
	if err != nil {
		// Only a receipt too long for any QR code gets here.
		return apiError(CodeTooLarge, "the receipt does not fit in a QR code: "+err.Error())
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/png", png)
	return nil
}
