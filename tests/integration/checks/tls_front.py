#!/usr/bin/env python3
"""A TLS front for lookup_worker: HTTPS on 127.0.0.1 forwarding GETs to a plain HTTP server.

    tls_front.py CERT KEY TARGET_URL PORT_FILE

Serves HTTPS (HTTP/1.1 keep-alive, as vaksin-lookup expects) on a free port of 127.0.0.1 with
the certificate CERT and its key KEY, and forwards each GET, with its headers, to TARGET_URL's
host and port, answering with the status, Content-Type and body it got. Once listening, writes
the port to PORT_FILE (atomically: a rename); then serves until killed. Not a check: it has no
outcome of its own (exit status 1 on a wrong call or if it cannot listen).
"""
import http.client, http.server, ssl, sys, urllib.parse

if len(sys.argv) != 5:
    sys.exit(__doc__)
cert, key, target, port_file = sys.argv[1:5]
t = urllib.parse.urlsplit(target)
class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the worker expects
    def do_GET(self):
        up = http.client.HTTPConnection(t.hostname, t.port, timeout=10)
        up.request("GET", self.path, headers={k: v for k, v in self.headers.items()})
        r = up.getresponse()
        body = r.read()
        self.send_response(r.status)
        self.send_header("Content-Type", r.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        up.close()
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(port_file + ".tmp", "w").write(str(srv.server_address[1]))
__import__("os").rename(port_file + ".tmp", port_file)
srv.serve_forever()
