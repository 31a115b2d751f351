// Command kube-apiserver is a test fixture: a real kube-apiserver (k8s.io/kubernetes
// v1.35.4) and an embedded etcd 3.6 in one process, bound to 127.0.0.1.
//
// Usage:
//
//	kube-apiserver --data-dir DIR [--secure-port N] [--etcd-port N] [--admin-token T] [--limited-token T] [-- extra kube-apiserver flags...]
//
// Ports default to 0 = a free port picked at start. Tokens default to the ones
// already in DIR, else random. Flags after "--" are appended to the generated
// kube-apiserver flags (string flags: last one wins; list flags accumulate).
//
// Files written under DIR: etcd/ (etcd data), pki/ (ca.crt, serving cert/key,
// service-account key), certs/ (apiserver --cert-dir), tokens.csv, admin-token,
// limited-token, admin.kubeconfig, limited.kubeconfig, info.json.
//
// Prints "kube-apiserver listening on https://127.0.0.1:PORT" once the port is
// known and "kube-apiserver ready on https://127.0.0.1:PORT (Ns)" once /readyz is ok.
// SIGINT/SIGTERM: graceful apiserver shutdown, then etcd stops; exit 0 (a second
// signal makes the apiserver exit 1 at once).
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
	_ "time/tzdata" // for timeZone support in CronJob

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // for JSON log format registration
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // load all the prometheus client-go plugins
	_ "k8s.io/component-base/metrics/prometheus/version"  // for version metric registration
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(run())
}

func fatalf(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "kube-apiserver (bench): "+format+"\n", args...)
	return 1
}

func run() int {
	start := time.Now()
	fs := flag.NewFlagSet("kube-apiserver", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "directory for etcd data, certificates, keys and token files (required)")
	securePort := fs.Int("secure-port", 0, "HTTPS port on 127.0.0.1 (0 = pick a free port)")
	etcdPort := fs.Int("etcd-port", 0, "etcd client port on 127.0.0.1 (0 = pick a free port)")
	adminToken := fs.String("admin-token", "", "bearer token of user 'admin' (group system:masters); default: reuse DIR/admin-token or random")
	limitedToken := fs.String("limited-token", "", "bearer token of user 'limited' (no RBAC rights); default: reuse DIR/limited-token or random")
	exitOnStdinEOF := fs.Bool("exit-on-stdin-eof", false, "shut down when standard input closes (the parent process died), so tests never leave a server behind")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kube-apiserver --data-dir DIR [--secure-port N] [--etcd-port N] [--admin-token T] [--limited-token T] [-- extra kube-apiserver flags]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	extra := fs.Args() // flag stops at "--" and drops it
	if *dataDir == "" {
		fs.Usage()
		return 2
	}
	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		return fatalf("%v", err)
	}
	pki := filepath.Join(dir, "pki")
	for _, d := range []string{dir, pki, filepath.Join(dir, "certs")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fatalf("%v", err)
		}
	}

	// --- tokens ---
	admin, err := loadOrCreateToken(filepath.Join(dir, "admin-token"), *adminToken)
	if err != nil {
		return fatalf("%v", err)
	}
	limited, err := loadOrCreateToken(filepath.Join(dir, "limited-token"), *limitedToken)
	if err != nil {
		return fatalf("%v", err)
	}
	tokensCSV := fmt.Sprintf("%s,admin,admin-uid,\"system:masters\"\n%s,limited,limited-uid\n", admin, limited)
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(tokensCSV), 0o600); err != nil {
		return fatalf("%v", err)
	}

	// --- keys and certificates ---
	saKey := filepath.Join(pki, "sa.key")
	if err := ensureRSAKey(saKey); err != nil {
		return fatalf("service account key: %v", err)
	}
	caCrt, srvCrt, srvKey := filepath.Join(pki, "ca.crt"), filepath.Join(pki, "apiserver.crt"), filepath.Join(pki, "apiserver.key")
	if err := ensureServingCert(filepath.Join(pki, "ca.key"), caCrt, srvKey, srvCrt); err != nil {
		return fatalf("serving certificate: %v", err)
	}

	// --- ports ---
	if *securePort == 0 {
		if *securePort, err = freePort(); err != nil {
			return fatalf("%v", err)
		}
	}
	if *etcdPort == 0 {
		if *etcdPort, err = freePort(); err != nil {
			return fatalf("%v", err)
		}
	}
	peerPort, err := freePort()
	if err != nil {
		return fatalf("%v", err)
	}

	// --- etcd ---
	cfg := embed.NewConfig()
	cfg.Name = "bench"
	cfg.Dir = filepath.Join(dir, "etcd")
	cfg.LogLevel = "error"
	cfg.UnsafeNoFsync = true // test fixture: speed over durability
	clientURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(*etcdPort))}
	peerURL := url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(peerPort))}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{clientURL}, []url.URL{clientURL}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peerURL}, []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.InitialClusterToken = "kubeplan-bench"
	etcd, err := embed.StartEtcd(cfg)
	if err != nil {
		return fatalf("start etcd: %v", err)
	}
	select {
	case <-etcd.Server.ReadyNotify():
	case err := <-etcd.Err():
		etcd.Close()
		return fatalf("etcd: %v", err)
	case <-time.After(60 * time.Second):
		etcd.Close()
		return fatalf("etcd did not become ready within 60s")
	}
	fmt.Fprintf(os.Stderr, "kube-apiserver (bench): etcd ready on %s after %s\n", clientURL.String(), time.Since(start).Round(time.Millisecond))

	// --- kube-apiserver ---
	serverURL := fmt.Sprintf("https://127.0.0.1:%d", *securePort)
	args := []string{
		"--etcd-servers=" + clientURL.String(),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(*securePort),
		"--cert-dir=" + filepath.Join(dir, "certs"),
		"--tls-cert-file=" + srvCrt,
		"--tls-private-key-file=" + srvKey,
		"--endpoint-reconciler-type=none",
		"--service-cluster-ip-range=10.96.0.0/12",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + saKey,
		"--service-account-signing-key-file=" + saKey,
		"--authorization-mode=RBAC",
		"--token-auth-file=" + filepath.Join(dir, "tokens.csv"),
		// No kube-controller-manager runs, so no ServiceAccount objects get created;
		// the ServiceAccount admission plugin would reject every Pod.
		"--disable-admission-plugins=ServiceAccount",
		"--profiling=false",
	}
	args = append(args, extra...)

	info := map[string]any{
		"server":            serverURL,
		"caFile":            caCrt,
		"adminToken":        admin,
		"limitedToken":      limited,
		"adminKubeconfig":   filepath.Join(dir, "admin.kubeconfig"),
		"limitedKubeconfig": filepath.Join(dir, "limited.kubeconfig"),
		"etcd":              clientURL.String(),
		"pid":               os.Getpid(),
	}
	caPEM, err := os.ReadFile(caCrt)
	if err != nil {
		return fatalf("%v", err)
	}
	for _, u := range []struct{ name, token string }{{"admin", admin}, {"limited", limited}} {
		if err := os.WriteFile(filepath.Join(dir, u.name+".kubeconfig"), []byte(kubeconfig(serverURL, caPEM, u.name, u.token)), 0o600); err != nil {
			return fatalf("%v", err)
		}
	}
	infoJSON, _ := json.MarshalIndent(info, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "info.json"), append(infoJSON, '\n'), 0o600); err != nil {
		return fatalf("%v", err)
	}

	// Note: app.NewAPIServerCommand installs the SIGINT/SIGTERM handler itself
	// (genericapiserver.SetupSignalContext): the first signal starts a graceful
	// shutdown, a second one exits with code 1. We only observe signals here.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var gotSignal = make(chan struct{})
	go func() { <-sigs; close(gotSignal) }()
	if *exitOnStdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			// The same path as a SIGTERM: the apiserver's own handler shuts it down gracefully.
			_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		}()
	}

	cmd := app.NewAPIServerCommand()
	cmd.SetArgs(args)

	fmt.Printf("kube-apiserver listening on %s\n", serverURL)
	readyCtx, cancelReady := context.WithCancel(context.Background())
	go waitReady(readyCtx, serverURL, admin, start)

	done := make(chan int, 1)
	go func() { done <- cli.Run(cmd) }()
	var code int
	select {
	case code = <-done:
	case err := <-etcd.Err():
		fmt.Fprintf(os.Stderr, "kube-apiserver (bench): etcd failed: %v\n", err)
		code = 1
	}
	cancelReady()
	etcd.Close()
	select {
	case <-gotSignal:
		return 0 // shutdown was requested; a clean stop
	default:
	}
	if code == 0 {
		code = 1 // the apiserver never stops on its own
	}
	return code
}

func waitReady(ctx context.Context, server, token string, start time.Time) {
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				fmt.Printf("kube-apiserver ready on %s (%.1fs)\n", server, time.Since(start).Seconds())
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func kubeconfig(server string, caPEM []byte, user, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: %s
  user:
    token: %s
contexts:
- name: bench-%s
  context:
    cluster: bench
    user: %s
    namespace: default
current-context: bench-%s
`, server, base64.StdEncoding.EncodeToString(caPEM), user, token, user, user, user)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func loadOrCreateToken(path, given string) (string, error) {
	if given == "" {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b), nil
		}
		buf := make([]byte, 24)
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		given = hex.EncodeToString(buf)
	}
	return given, os.WriteFile(path, []byte(given), 0o600)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

func ensureRSAKey(path string) error {
	if exists(path) {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	return writePEM(path, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key))
}

// ensureServingCert creates (once) a CA and a serving certificate for
// 127.0.0.1 / localhost / the in-cluster service names, signed by that CA.
func ensureServingCert(caKeyPath, caCrtPath, keyPath, crtPath string) error {
	if exists(caCrtPath) && exists(keyPath) && exists(crtPath) {
		return nil
	}
	now := time.Now().Add(-time.Hour)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kubeplan-bench-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now,
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	caKeyDER, err := x509.MarshalECPrivateKey(caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(caKeyPath, "EC PRIVATE KEY", caKeyDER); err != nil {
		return err
	}
	if err := writePEM(keyPath, "EC PRIVATE KEY", keyDER); err != nil {
		return err
	}
	if err := writePEM(crtPath, "CERTIFICATE", der); err != nil {
		return err
	}
	return writePEM(caCrtPath, "CERTIFICATE", caDER)
}
