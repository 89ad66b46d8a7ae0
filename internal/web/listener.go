package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
)

// Go's http.Server answers a request whose line and headers pass its MaxHeaderBytes itself,
// on the connection, before any handler runs: "431 Request Header Fields Too Large" in plain
// text. Listener rewrites exactly that answer into the problem document every other error
// gets. (Under TLS the answer is encrypted before the listener sees it; the handler's own
// check at MaxHeaderBytes, far below the server's HeaderReadLimit, answers first there.)

// goTooLarge is what net/http writes, in one write, for headers over its limit.
const goTooLarge = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"

// tooLargeAnswer is the problem document written instead.
var tooLargeAnswer = func() []byte {
	body, _ := json.Marshal(problem(http.StatusRequestHeaderFieldsTooLarge,
		fmt.Sprintf("the request line and headers are larger than this server reads (%d bytes)", HeaderReadLimit)))
	return fmt.Appendf(nil, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/problem+json\r\n"+
		"Content-Length: %d\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n%s", len(body), body)
}()

// Listener wraps a plain-TCP listener so that net/http's own 431 answers are problem
// documents.
func Listener(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return conn{c}, nil
}

type conn struct{ net.Conn }

func (c conn) Write(b []byte) (int, error) {
	if len(b) == len(goTooLarge) && bytes.Equal(b, []byte(goTooLarge)) {
		if _, err := c.Conn.Write(tooLargeAnswer); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return c.Conn.Write(b)
}
