// Command registry is a test fixture: the CNCF Distribution registry v3 embedded
// in a small CLI, listening on 127.0.0.1 with filesystem storage (delete enabled).
//
// Usage:
//
//	registry --storage DIR [--host 127.0.0.1] [--port N] [--auth MODE] [--tls-cert F --tls-key F]
//	         [--log-level warn] [--access-log]
//
//	--auth anonymous   (default) no authentication
//	--auth htpasswd    --htpasswd FILE [--user U --password P] [--realm R]
//	                   with --user/--password FILE is (over)written with one bcrypt entry;
//	                   without them FILE must already exist (bcrypt entries only).
//	--auth token       --token-realm URL --token-service S --token-issuer I
//	                   and --token-rootcertbundle PEM and/or --token-jwks FILE.
//	                   If the rootcertbundle file does not exist, an ECDSA P-256 key is
//	                   generated: PEM.key (PKCS#8) signs ES256 JWTs, PEM holds its cert.
//	                   JWT header: x5c=[base64 DER cert] or kid=JWK thumbprint (bundle),
//	                   or kid=the JWKS key's "kid" (jwks).
//
// Prints "registry listening on http://127.0.0.1:PORT" (https with --tls-cert)
// once the listener is bound; requests are served from that moment on.
// SIGINT/SIGTERM: graceful shutdown, exit 0.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/auth/token"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() {
	os.Exit(run())
}

func fatalf(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "registry (bench): "+format+"\n", args...)
	return 1
}

func run() int {
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "listen address")
	port := fs.Int("port", 0, "listen port (0 = pick a free port)")
	storage := fs.String("storage", "", "filesystem storage root directory (required)")
	authMode := fs.String("auth", "anonymous", "auth mode: anonymous | htpasswd | token")
	htpasswdPath := fs.String("htpasswd", "", "htpasswd mode: path of an htpasswd file with bcrypt entries")
	user := fs.String("user", "", "htpasswd mode: (over)write --htpasswd with this user (bcrypt), needs --password")
	password := fs.String("password", "", "htpasswd mode: password for --user")
	realm := fs.String("realm", "kubeplan-bench", "htpasswd mode: basic auth realm")
	tokenRealm := fs.String("token-realm", "", "token mode: URL of the token endpoint (WWW-Authenticate realm)")
	tokenService := fs.String("token-service", "", "token mode: service name (token audience)")
	tokenIssuer := fs.String("token-issuer", "", "token mode: issuer (JWT iss)")
	tokenBundle := fs.String("token-rootcertbundle", "", "token mode: PEM bundle with the certificate(s) of the token signing key")
	tokenJWKS := fs.String("token-jwks", "", "token mode: JWKS file with the token signing key(s) (alternative or addition to --token-rootcertbundle)")
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this certificate (PEM) instead of HTTP")
	tlsKey := fs.String("tls-key", "", "private key (PEM) for --tls-cert")
	logLevel := fs.String("log-level", "warn", "registry log level: error | warn | info | debug")
	accessLog := fs.Bool("access-log", false, "write an access log line per request to stderr")
	exitOnStdinEOF := fs.Bool("exit-on-stdin-eof", false, "shut down when standard input closes (the parent process died)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *storage == "" {
		fmt.Fprintln(os.Stderr, "registry (bench): --storage DIR is required")
		fs.Usage()
		return 2
	}
	root, err := filepath.Abs(*storage)
	if err != nil {
		return fatalf("%v", err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fatalf("%v", err)
	}

	config := &configuration.Configuration{}
	config.Version = configuration.CurrentVersion
	config.Log.Level = configuration.Loglevel(*logLevel)
	config.Log.AccessLog.Disabled = !*accessLog
	config.Storage = configuration.Storage{
		"filesystem": configuration.Parameters{"rootdirectory": root},
		"delete":     configuration.Parameters{"enabled": true},
		"maintenance": configuration.Parameters{
			"uploadpurging": map[any]any{"enabled": false},
		},
	}
	// Defaults that configuration.Parse would fill in for a YAML config.
	config.Catalog.MaxEntries = 1000
	config.Tags.MaxTags = 1000
	config.HTTP.Secret = "kubeplan-bench-secret"
	config.HTTP.Headers = http.Header{"X-Content-Type-Options": []string{"nosniff"}}

	switch *authMode {
	case "anonymous", "none", "":
	case "htpasswd":
		if *htpasswdPath == "" {
			return fatalf("--auth htpasswd needs --htpasswd PATH")
		}
		p, err := filepath.Abs(*htpasswdPath)
		if err != nil {
			return fatalf("%v", err)
		}
		if *user != "" {
			if *password == "" {
				return fatalf("--user needs --password")
			}
			// MinCost: the registry checks the hash on every request.
			hash, err := bcrypt.GenerateFromPassword([]byte(*password), bcrypt.MinCost)
			if err != nil {
				return fatalf("%v", err)
			}
			if err := os.WriteFile(p, []byte(*user+":"+string(hash)+"\n"), 0o600); err != nil {
				return fatalf("%v", err)
			}
		} else if _, err := os.Stat(p); err != nil {
			// The registry would otherwise create the file with a random "docker" user.
			return fatalf("htpasswd file: %v", err)
		}
		config.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": *realm, "path": p}}
	case "token":
		if *tokenRealm == "" || *tokenService == "" || *tokenIssuer == "" || (*tokenBundle == "" && *tokenJWKS == "") {
			return fatalf("--auth token needs --token-realm, --token-service, --token-issuer and --token-rootcertbundle (or --token-jwks)")
		}
		params := configuration.Parameters{
			"realm":   *tokenRealm,
			"service": *tokenService,
			"issuer":  *tokenIssuer,
		}
		if *tokenBundle != "" {
			p, _ := filepath.Abs(*tokenBundle)
			if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
				// Convenience for dependency-free harnesses (Node cannot create
				// X.509 certificates): generate the signing key and its cert.
				if err := generateTokenSigner(p, p+".key"); err != nil {
					return fatalf("generate token signing key: %v", err)
				}
				fmt.Fprintf(os.Stderr, "registry (bench): wrote token signing cert %s and key %s.key\n", p, p)
			}
			params["rootcertbundle"] = p
		}
		if *tokenJWKS != "" {
			p, _ := filepath.Abs(*tokenJWKS)
			params["jwks"] = p
		}
		config.Auth = configuration.Auth{"token": params}
	default:
		return fatalf("unknown --auth %q (anonymous | htpasswd | token)", *authMode)
	}

	lvl, err := logrus.ParseLevel(*logLevel)
	if err != nil {
		return fatalf("--log-level: %v", err)
	}
	logrus.SetLevel(lvl)
	logrus.SetOutput(os.Stderr)
	logrus.SetFormatter(&logrus.TextFormatter{TimestampFormat: time.RFC3339Nano})

	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		return fatalf("listen: %v", err)
	}
	scheme := "http"
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			return fatalf("tls: %v", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}})
		scheme = "https"
	}
	addr := ln.Addr().(*net.TCPAddr)
	url := fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(addr.IP.String(), strconv.Itoa(addr.Port)))
	config.HTTP.Addr = ln.Addr().String()

	app, err := newApp(config)
	if err != nil {
		ln.Close()
		return fatalf("%v", err)
	}
	var handler http.Handler = app
	handler = alive(handler)
	if *accessLog {
		handler = accessLogger(os.Stderr, handler)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	if *exitOnStdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			sigs <- syscall.SIGTERM
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- server.Serve(ln) }()
	fmt.Printf("registry listening on %s\n", url)

	select {
	case err := <-serveErr:
		return fatalf("serve: %v", err)
	case <-sigs:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(ctx)
		_ = app.Shutdown()
		return 0
	}
}

// newApp builds the registry application; handlers.NewApp panics on a bad
// configuration (e.g. an unreadable rootcertbundle), turn that into an error.
func newApp(config *configuration.Configuration) (app *handlers.App, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("configure registry: %v", r)
		}
	}()
	return handlers.NewApp(context.Background(), config), nil
}

// alive answers GET / with 200, like the upstream registry binary.
func alive(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusOK)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func accessLogger(out io.Writer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		next.ServeHTTP(sw, r)
		fmt.Fprintf(out, "registry (bench): %s %s %d %s\n", r.Method, r.URL.RequestURI(), sw.status, time.Since(start).Round(time.Microsecond))
	})
}

// generateTokenSigner writes an ECDSA P-256 private key (PKCS#8 PEM, sign JWTs
// with ES256) and a self-signed certificate for it (the rootcertbundle).
func generateTokenSigner(certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now().Add(-time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kubeplan-bench-token-signer"},
		NotBefore:             now,
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
