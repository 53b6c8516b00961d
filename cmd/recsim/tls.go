package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/recsim/recsim/engine/server/identity"
)

// serveTLS returns the TLS configuration of `recsim serve --tls`: the
// given certificate, or one made now for the loopback names, the listening
// address and the --base-url host, written (certificate and key, 0600 for
// the key) to the data directory or, without one, to a temporary directory,
// so that clients can trust it (docs/identity.md#tls).
func serveTLS(addr net.Addr, baseURL, dataDir, certFile, keyFile string, log *slog.Logger) (*tls.Config, error) {
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert = %s, --tls-key = %s: %w", certFile, keyFile, err)
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
	}
	hosts := []string{"127.0.0.1", "::1", "localhost"}
	if h, _, err := net.SplitHostPort(addr.String()); err == nil && h != "" {
		hosts = append(hosts, h)
	}
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	certPEM, keyPEM, err := identity.SelfSigned(hosts, time.Now())
	if err != nil {
		return nil, err
	}
	dir := dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "recsim-tls-"); err != nil {
			return nil, fmt.Errorf("--tls: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("--tls: --data-dir = %s: %w", dir, err)
	}
	certPath, keyPath := filepath.Join(dir, "tls-cert.pem"), filepath.Join(dir, "tls-key.pem")
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("--tls: writing %s: %w", keyPath, err)
	}
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return nil, fmt.Errorf("--tls: writing %s: %w", certPath, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("--tls: %w", err)
	}
	log.Info("recsim serve TLS: trust this certificate (it is its own CA)", "cert", certPath, "hosts", hosts)
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// trusting returns the system's roots and the certificate of c, for the
// server's own HTTPS callbacks (to its inbox, say).
func trusting(c *tls.Config) *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, cert := range c.Certificates {
		for _, der := range cert.Certificate {
			if x, err := x509.ParseCertificate(der); err == nil {
				pool.AddCert(x)
			}
		}
	}
	return pool
}
