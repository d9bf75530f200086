// Command ceiling is the HTTP+JSON ceiling for the figcheck load test: a
// bare gin server whose POST /v1/check reads the body, decodes it into a
// map and answers a fixed small JSON object. Whatever figcheck does on top
// of that is the cost of checking.
//
//	go run ./bench/wrk/ceiling --addr 127.0.0.1:0
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	answer := []byte(`{"verdict":"pass","cached":false}`)
	e.POST("/v1/check", func(c *gin.Context) {
		body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 1<<20))
		if err != nil {
			c.Data(http.StatusRequestEntityTooLarge, "application/json", []byte(`{"error":{"code":"too_large"}}`))
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			c.Data(http.StatusBadRequest, "application/json", []byte(`{"error":{"code":"malformed_json"}}`))
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", answer)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// run.sh reads the address from this line.
	fmt.Fprintf(os.Stderr, "{\"msg\":\"ceiling listening\",\"addr\":%q}\n", ln.Addr().String())
	log.Fatal(http.Serve(ln, e))
}
