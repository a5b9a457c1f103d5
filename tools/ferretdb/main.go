// Command ferretdb runs an embedded FerretDB (MongoDB wire protocol on top of
// SQLite) for local development and CI, where a real MongoDB cannot be
// installed. It is driven by scripts/ferretdb.sh.
//
// We embed github.com/FerretDB/FerretDB/ferretdb instead of installing
// FerretDB's own cmd/ferretdb: that binary needs build/version/version.txt,
// which only FerretDB's release build generates, and panics without it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", env("FERRETDB_LISTEN_ADDR", "127.0.0.1:27017"), "TCP address to listen on")
	handler := flag.String("handler", env("FERRETDB_HANDLER", "sqlite"), `backend: "sqlite" or "postgresql"`)
	sqliteURL := flag.String("sqlite-url", env("FERRETDB_SQLITE_URL", "file:data/"), `SQLite data directory, as "file:/dir/" or a plain path`)
	pgURL := flag.String("postgresql-url", env("FERRETDB_POSTGRESQL_URL", "postgres://127.0.0.1:5432/ferretdb"), "PostgreSQL URL (handler postgresql only)")
	logLevel := flag.String("log-level", env("FERRETDB_LOG_LEVEL", "warn"), "debug, info, warn or error")
	flag.Parse()

	// Default warn: FerretDB logs every connection and command at info/debug,
	// which would bury the few lines worth reading in a CI log.
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	cfg := &ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       *handler,
		PostgreSQLURL: *pgURL,
	}

	if *handler == "sqlite" {
		u, err := sqliteDir(*sqliteURL)
		if err != nil {
			fatal(err)
		}
		cfg.SQLiteURL = u
	}

	f, err := ferretdb.New(cfg)
	if err != nil {
		fatal(err)
	}

	// Run returns once ctx is cancelled, after closing connections and the
	// backend, so SQLite files are left consistent on SIGTERM from the script.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := f.Run(ctx); err != nil {
		fatal(err)
	}
}

// sqliteDir normalises the SQLite URI and creates the directory, because
// FerretDB insists on a "file:" URI naming an existing directory with a
// trailing slash and otherwise fails with a less obvious error.
func sqliteDir(s string) (string, error) {
	dir, query, _ := strings.Cut(strings.TrimPrefix(s, "file:"), "?")
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", err
	}
	u := "file:" + abs + "/"
	if query != "" {
		u += "?" + query
	}
	return u, nil
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "ferretdb:", err)
	os.Exit(1)
}
