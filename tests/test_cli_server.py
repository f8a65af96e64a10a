"""``python -m OpenSSL server`` as a process: memory, closing, ``--www``, Ctrl-C.

Every test runs the server as a subprocess (:mod:`tests.support.cli`) and
talks to it over loopback with independent peers: the standard library's
``ssl``, ``openssl s_client`` and curl (each skipped, visibly, where the tool
is missing).
"""

from __future__ import annotations

import http.client
import shutil
import signal
import socket
import ssl
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tests.support import (
    TIMEOUT,
    ServerProcess,
    assert_one_line_error,
    needs_openssl,
    python_m_openssl,
    run_main,
    s_client_process,
    server_args,
    server_process,
)

# -- memory --------------------------------------------------------------------


def _clients(
    server: ServerProcess,
    count: int,
    done_before: int,
    tls: ssl.SSLContext | None = None,
) -> None:
    """*count* clients: plain TCP ones that hang up without a ClientHello,
    or, with *tls*, TLS clients that echo one byte.

    They come in batches of 100, each batch once the server has finished the
    one before: the number of clients in flight (and of threads alive) stays
    the same from batch to batch, so the resident size compares like with
    like.
    """
    done = done_before
    while done < done_before + count:
        batch = min(100, done_before + count - done)
        for _ in range(batch):
            with socket.create_connection(("127.0.0.1", server.port), TIMEOUT) as raw:
                if tls is not None:
                    with tls.wrap_socket(raw, server_hostname="localhost") as conn:
                        conn.sendall(b"x")
                        assert conn.recv(1) == b"x"
        done += batch
        server.wait_for(
            "failed:" if tls is None else "closed:", done, stderr=tls is None
        )


@pytest.mark.timeout(60)  # takes about 5 s
@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads VmRSS from /proc (Linux)"
)
def test_memory_stays_flat_over_thousands_of_clients(
    pki_files: SimpleNamespace,
) -> None:
    warm_up, plain, with_tls = 500, 3000, 500
    tls = ssl.create_default_context(cafile=str(pki_files.ca_pem))
    with server_process(*server_args(pki_files)) as server:
        _clients(server, warm_up, 0)
        _clients(server, warm_up // 5, 0, tls)
        before = server.resident_kib()
        _clients(server, plain, warm_up)
        _clients(server, with_tls, warm_up // 5, tls)
        after = server.resident_kib()
        status, _, err = server.interrupt()
    assert status == 130, err
    growth = after - before
    print(
        f"server RSS {before} KiB -> {after} KiB over {plain} plain "
        f"and {with_tls} TLS clients"
    )
    assert "Traceback" not in err
    # Kept per-client state costs ~2.3 KiB a client (8 MB here); the
    # allocator's own noise stays well under a quarter of that.
    assert growth < 2048, f"RSS grew {growth} KiB over {plain + with_tls} clients"


@pytest.mark.timeout(60)  # takes about 1 s
@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="sets RLIMIT_NOFILE (Linux)"
)
def test_running_out_of_file_descriptors_is_survived(
    pki_files: SimpleNamespace,
) -> None:
    # 48 descriptors: about 30 clients at once fill the table. The rest wait
    # in the backlog and are served once the first ones leave.
    with server_process(*server_args(pki_files), fd_limit=48) as server:
        held = [
            socket.create_connection(("127.0.0.1", server.port), TIMEOUT)
            for _ in range(60)
        ]
        server.wait_for("accept failed: Too many open files", stderr=True)
        for sock in held:
            sock.close()
        server.wait_for("accepting clients again", stderr=True)
        ctx = ssl.create_default_context(cafile=str(pki_files.ca_pem))
        with socket.create_connection(("127.0.0.1", server.port), TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"still here")
                assert tls.recv(100) == b"still here"
        status, _, err = server.interrupt()
    assert status == 130
    assert "Traceback" not in err
    assert err.count("waiting for clients to leave") == 1, err


def _descriptors_available(count: int) -> bool:
    import resource

    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= count


@pytest.mark.timeout(60)  # takes about 2 s
@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _descriptors_available(2048),
    reason="needs 2048 file descriptors (Linux)",
)
def test_clients_past_descriptor_1024_are_served(pki_files: SimpleNamespace) -> None:
    """select() refuses descriptors from 1024 up; the server must not use it."""
    with server_process(*server_args(pki_files), fd_limit=2048) as server:
        held = []
        try:
            # Silent clients: each holds a server thread (and descriptor).
            for _ in range(1100):
                held.append(socket.create_connection(("127.0.0.1", server.port)))
            ctx = ssl.create_default_context(cafile=str(pki_files.ca_pem))
            with socket.create_connection(("127.0.0.1", server.port), TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                    tls.sendall(b"past 1024")
                    assert tls.recv(100) == b"past 1024"
            server.wait_for("closed: echoed 9 bytes")
        finally:
            for sock in held:
                sock.close()
        server.wait_for("failed:", 1100, stderr=True)
        status, _, err = server.interrupt()
    assert status == 130
    assert "Traceback" not in err, err[-2000:]


# -- closing after a fatal error --------------------------------------------------


def _refused_tls13_client(
    files: SimpleNamespace, server: ServerProcess
) -> BaseException:
    """A TLS 1.3 client without a certificate: what its first read raises.

    The server refuses it after the client considers the handshake done; the
    client has already sent its first data, as an HTTP client would, and that
    record is unread on the server when it fails.
    """
    ctx = ssl.create_default_context(cafile=str(files.ca_pem))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection(("127.0.0.1", server.port), TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
            # Read only once the server has failed (and closed, or is closing).
            server.wait_for("failed:", stderr=True)
            try:
                tls.recv(100)
            except (ssl.SSLError, OSError) as exc:
                return exc
    raise AssertionError("the server did not refuse the client")


def test_refused_client_reads_the_alert_not_a_reset(
    pki_files: SimpleNamespace,
) -> None:
    args = server_args(pki_files, "--client-ca", str(pki_files.ca_pem))
    with server_process(*args) as server:
        for attempt in range(5):
            error = _refused_tls13_client(pki_files, server)
            assert not isinstance(error, ConnectionResetError), (attempt, error)
            assert isinstance(error, ssl.SSLError), (attempt, error)
            # OpenSSL names the alert: certificate_required (116).
            assert "CERTIFICATE_REQUIRED" in str(error.reason), error
            server.wait_for("failed:", attempt + 1, stderr=True)
        status, _, err = server.interrupt()
    assert status == 130
    assert err.count("peer did not return a certificate") == 5, err


@needs_openssl
def test_refused_openssl_s_client_reads_the_alert(pki_files: SimpleNamespace) -> None:
    # s_client usually reads the alert before it sends its first data, so
    # unlike the test above this one also passed with the old abrupt close;
    # it shows the independent tool's view of the same refusal.
    args = server_args(pki_files, "--client-ca", str(pki_files.ca_pem))
    with server_process(*args) as server:
        with s_client_process(
            server.port,
            "-tls1_3",
            "-CAfile",
            str(pki_files.ca_pem),
            log=pki_files.directory / "s_client.log",
        ) as client:
            # Data right after the handshake, as an HTTP client sends it.
            client.say(b"GET / HTTP/1.0\n\n")
            server.wait_for("failed:", stderr=True)
            # s_client exits when the connection fails; stdin stays open so
            # that it is the alert (or a reset) that ends it, not EOF.
            client.proc.wait(TIMEOUT)
            out = client.output()
    assert "alert number 116" in out or "certificate required" in out, out
    assert "errno=104" not in out, out


# -- --www -------------------------------------------------------------------------


def _https(
    files: SimpleNamespace, port: int, method: str
) -> tuple[int, dict[str, str], bytes]:
    ctx = ssl.create_default_context(cafile=str(files.ca_pem))
    conn = http.client.HTTPSConnection("localhost", port, timeout=TIMEOUT, context=ctx)
    try:
        conn.request(method, "/status?x=<b>")
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_www_answers_http_requests(pki_files: SimpleNamespace) -> None:
    args = server_args(pki_files, "--www", "--max-clients", "4")
    with server_process(*args) as server:
        status, headers, body = _https(pki_files, server.port, "GET")
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert int(headers["Content-Length"]) == len(body)
        page = body.decode()
        assert "protocol     TLSv1.3" in page
        assert "server name  localhost" in page
        # The request line is shown, escaped.
        assert "request      GET /status?x=&lt;b&gt; HTTP/1.1" in page

        status, headers, body = _https(pki_files, server.port, "HEAD")
        assert status == 200 and body == b""
        assert int(headers["Content-Length"]) > 0

        status, headers, _ = _https(pki_files, server.port, "POST")
        assert status == 405
        assert headers["Allow"] == "GET, HEAD"

        ctx = ssl.create_default_context(cafile=str(pki_files.ca_pem))
        with socket.create_connection(("127.0.0.1", server.port), TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"hello there\r\n\r\n")
                reply = tls.recv(4096)
        assert reply.startswith(b"HTTP/1.0 400 Bad Request\r\n")
        status, out, err = server.finish()
    assert status == 0, err
    assert "answered 'GET /status?x=<b> HTTP/1.1' with 200" in out
    assert "answered 'POST /status?x=<b> HTTP/1.1' with 405" in out
    assert "answered 'hello there' with 400" in out
    assert err == ""


def test_www_refuses_alpn_other_than_http1(
    capsys: pytest.CaptureFixture[str], pki_files: SimpleNamespace
) -> None:
    argv = server_args(pki_files, "--www", "--alpn", "h2,http/1.1", "--port", "0")
    status, out, err = run_main(capsys, "server", *argv)
    assert status == 2
    assert out == ""
    assert_one_line_error(err, "server", "--www speaks HTTP/1.x")


def test_www_with_curl(pki_files: SimpleNamespace) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed: --www is tested with http.client only")
    args = server_args(pki_files, "--www", "--max-clients", "1")
    with server_process(*args) as server:
        proc = subprocess.run(
            [
                curl,
                "--silent",
                "--show-error",
                "--cacert",
                str(pki_files.ca_pem),
                "--max-time",
                str(TIMEOUT),
                f"https://localhost:{server.port}/",
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 2,
        )
        status, out, err = server.finish()
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "python -m OpenSSL server --www" in proc.stdout
    assert "protocol     TLSv1.3" in proc.stdout
    assert "request      GET / HTTP/1.1" in proc.stdout
    assert status == 0, err
    assert "answered 'GET / HTTP/1.1' with 200" in out


# -- the reader of the output goes away -------------------------------------------


def test_closed_output_ends_the_server_quietly(pki_files: SimpleNamespace) -> None:
    # As in ``python -m OpenSSL server ... | head -1``: the first client's
    # line, written by its thread, meets a closed pipe.
    proc = subprocess.Popen(
        python_m_openssl("server", "--port", "0", *server_args(pki_files)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().rsplit(":", 1)[1])
        proc.stdout.close()
        ctx = ssl.create_default_context(cafile=str(pki_files.ca_pem))
        with socket.create_connection(("127.0.0.1", port), TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(b"ping")
                assert tls.recv(10) == b"ping"
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1
    assert err == ""


# -- Ctrl-C ---------------------------------------------------------------------------


def test_ctrl_c_with_a_client_connected(pki_files: SimpleNamespace) -> None:
    with server_process(*server_args(pki_files)) as server:
        ctx = ssl.create_default_context(cafile=str(pki_files.ca_pem))
        with socket.create_connection(("127.0.0.1", server.port), TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost"):
                server.wait_for("connected:")
                status, out, err = server.interrupt()
    assert status == 130
    assert out.endswith("interrupted, shutting down\n")
    assert "Traceback" not in err


def test_client_ctrl_c(pki_files: SimpleNamespace) -> None:
    # A server that accepts and never answers: the client waits (30 s
    # timeout) until Ctrl-C.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        proc = subprocess.Popen(
            python_m_openssl("client", f"127.0.0.1:{port}", "--timeout", "30"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            listener.settimeout(TIMEOUT)
            conn, _ = listener.accept()
            with conn:
                conn.recv(1)  # the ClientHello has begun: the client waits
                proc.send_signal(signal.SIGINT)
                out, err = proc.communicate(timeout=TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130
    assert out == ""
    assert err == "python -m OpenSSL client: interrupted\n"
