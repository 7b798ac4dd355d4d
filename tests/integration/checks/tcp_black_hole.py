#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that can turn into a black hole, for pg_black_hole.

    tcp_black_hole.py UPSTREAM_HOST:PORT PORT_FILE

Listens on a free port of 127.0.0.1, writes it to PORT_FILE (atomically: a rename), and forwards
each connection to UPSTREAM, both ways, until SIGUSR1. From then on it is what a proxy or NAT
that lost its state looks like from the client: every connection stays open, but nothing is
forwarded and nothing read (the kernel still ACKs and answers keepalives, so no TCP timeout
fires on the client), and a new connection is accepted and never answered. SIGUSR2 forwards
again, for connections made after it; the black-holed ones stay as they are. Logs each change
and each connection on stderr. Exits on SIGTERM, or when its parent (the test) is gone. Not a
check: it has no outcome of its own (exit status 1 on a wrong call or if it cannot listen).
"""
import os, selectors, signal, socket, sys, time

if len(sys.argv) != 3:
    sys.exit(__doc__)
up_host, up_port = sys.argv[1].rsplit(":", 1)
port_file = sys.argv[2]
parent = os.getppid()

black = False  # set by the signals, acted on by the loop
def on_signal(signum, frame):
    global black
    black = signum == signal.SIGUSR1
signal.signal(signal.SIGUSR1, on_signal)
signal.signal(signal.SIGUSR2, on_signal)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))

def log(msg):
    print(f"{time.strftime('%H:%M:%S')} tcp_black_hole: {msg}", file=sys.stderr, flush=True)

sel = selectors.DefaultSelector()
lsock = socket.create_server(("127.0.0.1", 0))
sel.register(lsock, selectors.EVENT_READ)
peer = {}  # forwarded socket -> the other end
held = []  # sockets kept open and never read: black-holed connections
open(port_file + ".tmp", "w").write(str(lsock.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
log(f"listening on {lsock.getsockname()[1]}, forwarding to {up_host}:{up_port}")

def close_pair(s):
    other = peer.pop(s)
    peer.pop(other, None)
    for x in (s, other):
        sel.unregister(x)
        x.close()

holing = False  # the mode the sockets are in
while os.getppid() == parent:
    if black and not holing:
        for s in peer:
            sel.unregister(s)
        held.extend(peer)
        log(f"black hole: {len(peer) // 2} connection(s) held, nothing forwarded from now on")
        peer.clear()
        holing = True
    elif not black and holing:
        log("forwarding again for new connections")
        holing = False
    for key, _ in sel.select(timeout=0.1):
        s = key.fileobj
        if s is lsock:
            c, _ = lsock.accept()
            if holing:
                held.append(c)
                log("a new connection accepted into the black hole")
                continue
            try:
                u = socket.create_connection((up_host, int(up_port)), timeout=10)
                u.settimeout(None)
            except OSError as e:
                log(f"upstream refused: {e}")
                c.close()
                continue
            peer[c], peer[u] = u, c
            sel.register(c, selectors.EVENT_READ)
            sel.register(u, selectors.EVENT_READ)
            log("connection forwarded")
            continue
        if s not in peer:  # black-holed while this event waited
            continue
        try:
            data = s.recv(65536)
            if data:
                peer[s].sendall(data)
                continue
        except OSError:
            pass
        close_pair(s)
log("parent gone: exiting")
