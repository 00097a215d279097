// Command ferretdb runs an embedded FerretDB 1.x (MongoDB wire protocol on top of
// PostgreSQL or SQLite) for Chronoscope's integration tests.
//
// We embed github.com/FerretDB/FerretDB/ferretdb instead of `go install`-ing
// cmd/ferretdb, because the latter panics at start when built outside the
// FerretDB repo (missing build/version/version.txt, upstream issue 4001).
//
// Usage:
//
//	ferretdb -listen 127.0.0.1:57017 -handler postgresql -url postgres://u:p@127.0.0.1:55432/ferretdb
//	ferretdb -listen 127.0.0.1:57017 -handler sqlite -url file:/path/to/dir/
//	ferretdb -ping 127.0.0.1:57017   # exit 0 if {ping: 1} returns ok: 1
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:57017", "TCP address to listen on")
	handler := flag.String("handler", "postgresql", "backend handler: postgresql or sqlite")
	url := flag.String("url", "", "PostgreSQL URL (postgresql handler) or SQLite directory URI like file:data/ (sqlite handler)")
	ping := flag.String("ping", "", "instead of serving, send {ping: 1} to this address and exit 0 on ok: 1")
	timeout := flag.Duration("timeout", 5*time.Second, "timeout for -ping")
	debug := flag.Bool("debug", false, "debug logging")
	flag.Parse()

	if *ping != "" {
		if err := pingServer(*ping, *timeout); err != nil {
			fmt.Fprintf(os.Stderr, "ping %s: %v\n", *ping, err)
			os.Exit(1)
		}
		fmt.Println("ok")
		return
	}

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	cfg := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Logger:   logger,
		Handler:  *handler,
	}
	switch *handler {
	case "postgresql":
		cfg.PostgreSQLURL = *url
	case "sqlite":
		cfg.SQLiteURL = *url
	default:
		logger.Error("unknown handler", slog.String("handler", *handler))
		os.Exit(2)
	}
	if *url == "" {
		logger.Error("-url is required")
		os.Exit(2)
	}

	f, err := ferretdb.New(cfg)
	if err != nil {
		logger.Error("failed to create FerretDB", slog.Any("error", err))
		os.Exit(1)
	}

	// SIGTERM/SIGINT cancel the context; Run then closes listeners, connections and the backend.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	logger.Info("starting embedded FerretDB", slog.String("listen", *listen), slog.String("handler", *handler))
	if err := f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped with error", slog.Any("error", err))
		os.Exit(1)
	}
	logger.Info("FerretDB stopped")
}

// pingServer sends an OP_MSG {ping: 1, $db: "admin"} and checks for ok: 1.
// Hand-rolled to avoid pulling a MongoDB driver into this tiny binary.
func pingServer(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))

	doc := bsonDoc(func(b *bytes.Buffer) {
		b.WriteByte(0x10) // int32
		b.WriteString("ping\x00")
		_ = binary.Write(b, binary.LittleEndian, int32(1))
		b.WriteByte(0x02) // string
		b.WriteString("$db\x00")
		_ = binary.Write(b, binary.LittleEndian, int32(len("admin")+1))
		b.WriteString("admin\x00")
	})

	var body bytes.Buffer
	_ = binary.Write(&body, binary.LittleEndian, uint32(0)) // flagBits
	body.WriteByte(0)                                       // section kind 0: body
	body.Write(doc)

	var msg bytes.Buffer
	// header: messageLength, requestID, responseTo, opCode (2013 = OP_MSG)
	for _, v := range []int32{int32(16 + body.Len()), 1, 0, 2013} {
		_ = binary.Write(&msg, binary.LittleEndian, v)
	}
	msg.Write(body.Bytes())
	if _, err = conn.Write(msg.Bytes()); err != nil {
		return err
	}

	var hdr [16]byte
	if _, err = io.ReadFull(conn, hdr[:]); err != nil {
		return err
	}
	length := int(binary.LittleEndian.Uint32(hdr[0:4]))
	if opCode := binary.LittleEndian.Uint32(hdr[12:16]); opCode != 2013 {
		return fmt.Errorf("unexpected reply opCode %d", opCode)
	}
	if length < 16+5+5 || length > 16<<20 {
		return fmt.Errorf("bad reply length %d", length)
	}
	rest := make([]byte, length-16)
	if _, err = io.ReadFull(conn, rest); err != nil {
		return err
	}
	if rest[4] != 0 {
		return errors.New("reply does not start with a body section")
	}
	ok, err := bsonOK(rest[5:])
	if err != nil {
		return err
	}
	if ok != 1 {
		return fmt.Errorf("reply ok = %v", ok)
	}
	return nil
}

// bsonDoc wraps elements written by fill into a BSON document.
func bsonDoc(fill func(*bytes.Buffer)) []byte {
	var elems bytes.Buffer
	fill(&elems)
	out := make([]byte, 4, 4+elems.Len()+1)
	binary.LittleEndian.PutUint32(out, uint32(4+elems.Len()+1))
	out = append(out, elems.Bytes()...)
	return append(out, 0)
}

// bsonOK walks the top-level elements of a BSON document and returns the numeric "ok" field.
func bsonOK(doc []byte) (float64, error) {
	if len(doc) < 5 {
		return 0, errors.New("short document")
	}
	end := int(binary.LittleEndian.Uint32(doc))
	if end > len(doc) {
		return 0, errors.New("truncated document")
	}
	i := 4
	for i < end-1 {
		typ := doc[i]
		i++
		k := bytes.IndexByte(doc[i:end], 0)
		if k < 0 {
			return 0, errors.New("bad key")
		}
		key := string(doc[i : i+k])
		i += k + 1
		var size int
		switch typ {
		case 0x01, 0x09, 0x11, 0x12: // double, datetime, timestamp, int64
			size = 8
		case 0x10: // int32
			size = 4
		case 0x08: // bool
			size = 1
		case 0x0A: // null
			size = 0
		case 0x07: // ObjectId
			size = 12
		case 0x02: // string
			size = 4 + int(binary.LittleEndian.Uint32(doc[i:]))
		case 0x03, 0x04: // document, array
			size = int(binary.LittleEndian.Uint32(doc[i:]))
		case 0x05: // binary
			size = 5 + int(binary.LittleEndian.Uint32(doc[i:]))
		default:
			return 0, fmt.Errorf("unsupported BSON type 0x%02x before ok", typ)
		}
		if key == "ok" {
			switch typ {
			case 0x01:
				return math.Float64frombits(binary.LittleEndian.Uint64(doc[i:])), nil
			case 0x10:
				return float64(int32(binary.LittleEndian.Uint32(doc[i:]))), nil
			case 0x12:
				return float64(int64(binary.LittleEndian.Uint64(doc[i:]))), nil
			case 0x08:
				if doc[i] != 0 {
					return 1, nil
				}
				return 0, nil
			}
			return 0, fmt.Errorf("ok has BSON type 0x%02x", typ)
		}
		i += size
	}
	return 0, errors.New("no ok field in reply")
}
