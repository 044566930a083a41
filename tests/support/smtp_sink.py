#!/usr/bin/python3
"""A local SMTP sink for connector tests and benchmarks (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 (a free port), prints the port on stdout, and saves every accepted message
as OUTDIR/msg-N.eml. OUTDIR/connections holds the number of SMTP sessions opened so far.
Options: --tls makes a self-signed certificate (OUTDIR/cert.pem, via /usr/bin/openssl) and
requires STARTTLS; --implicit-tls serves TLS from the first byte (smtps://) with that certificate; --user/--password require AUTH (only over TLS when --tls is on).
Recipients starting with 'tempfail' get 451 to RCPT, with 'reject' 550 5.1.1 (unknown user),
with 'policy' 550 5.7.1 (refused, not about the mailbox); with 'spamtrap' they are accepted but
the message gets 550 after DATA; with 'hang' RCPT gets no answer for a minute (a provider that
hangs past the client's timeout). Senders starting with 'blocked' get 553 to MAIL FROM.
--no-save counts only.
Runs until stdin closes or SIGTERM.
"""
import argparse
import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    def __init__(self, outdir, save):
        self.outdir = outdir
        self.save = save
        self.count = 0
        self.sessions = 0
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if address.startswith("blocked"):
            return "553 Sender address rejected"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("hang"):
            await asyncio.sleep(60)
        if address.startswith("tempfail"):
            return "451 4.3.0 Mailbox temporarily unavailable"
        if address.startswith("reject"):
            return "550 5.1.1 No such user here"
        if address.startswith("policy"):
            return "550 5.7.1 Relaying denied by policy"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(rcpt.startswith("spamtrap") for rcpt in envelope.rcpt_tos):
            return "550 Message rejected as spam"
        with self.lock:
            self.count += 1
            n = self.count
        if self.save:
            path = os.path.join(self.outdir, "msg-%d.eml" % n)
            with open(path + ".tmp", "wb") as f:
                f.write(envelope.original_content)
            os.rename(path + ".tmp", path)
        return "250 2.0.0 Ok: queued as Q%d" % n

    def session_opened(self):
        with self.lock:
            self.sessions += 1
            n = self.sessions
        with open(os.path.join(self.outdir, "connections.tmp"), "w") as f:
            f.write(str(n))
        os.replace(os.path.join(self.outdir, "connections.tmp"), os.path.join(self.outdir, "connections"))


def make_cert(outdir):
    cert = os.path.join(outdir, "cert.pem")
    key = os.path.join(outdir, "key.pem")
    subprocess.run(
        ["/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    sink = Sink(args.outdir, not args.no_save)
    tls_context = make_cert(args.outdir) if args.tls or args.implicit_tls else None
    starttls_context = tls_context if args.tls else None

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode() == args.user and auth_data.password.decode() == args.password)
        return AuthResult(success=ok, handled=False)

    class CountingSMTP(SMTP):
        def connection_made(self, transport):
            if not getattr(self, "_counted", False):  # STARTTLS re-enters on the same session
                self._counted = True
                sink.session_opened()
            super().connection_made(transport)

    class SinkController(Controller):
        def factory(self):
            kwargs = dict(hostname="sink.local", ident="journeyd-test-sink")
            if starttls_context is not None:
                kwargs.update(tls_context=starttls_context, require_starttls=True)
            if args.user:
                kwargs.update(authenticator=authenticator, auth_required=True,
                              auth_require_tls=starttls_context is not None)
            return CountingSMTP(self.handler, **kwargs)

    controller = None
    for _ in range(20):
        try:
            controller = SinkController(sink, hostname="127.0.0.1", port=free_port(), ready_timeout=10,
                                        ssl_context=tls_context if args.implicit_tls else None)
            controller.start()
            break
        except Exception:  # the port was taken between probing and binding; try another
            controller = None
    if controller is None:
        sys.exit("cannot start the SMTP sink")
    with sink.lock:
        sink.sessions = -1  # the controller's own readiness probe is not a client session
    sink.session_opened()
    print(controller.port, flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
