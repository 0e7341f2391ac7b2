"""kubelab's built-in `nginx` image: serves /usr/share/nginx/html like nginx's default server.

Standard library only; it runs inside the container (as `/.kubelab/bin/nginx`), so it sees the pod's
volumes where the manifest mounted them. It listens on the pod's IP (what the pod's hostname resolves
to in its /etc/hosts) on every port in KUBELAB_NGINX_PORTS (the container's ports; default 80), logs
each request to stdout in nginx's combined format and exits on SIGTERM or SIGQUIT. nginx's own flags
(`-g 'daemon off;'`) are accepted and ignored. A missing document root gets nginx's welcome page, as
the image has; a mounted, empty one answers 403, as nginx does.
"""
import os
import signal
import socket
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

ROOT = "/usr/share/nginx/html"
VERSION = "nginx/1.27.0 (kubelab)"
WELCOME = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>
<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""


def error_page(code, text):
    return (f"<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n<center><h1>{code} {text}</h1>"
            f"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n").encode()


class Handler(SimpleHTTPRequestHandler):
    server_version = VERSION
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=ROOT, **kwargs)

    def list_directory(self, path):
        self.send_error(403)
        return None

    def send_error(self, code, message=None, explain=None):
        text = {403: "Forbidden", 404: "Not Found", 405: "Not Allowed"}.get(code, message or "Error")
        body = error_page(code, text)
        self.send_response(code, text)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_request(self, code="-", size="-"):
        code = getattr(code, "value", code)
        when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
        agent = self.headers.get("User-Agent", "-") if self.headers else "-"
        print(f'{self.client_address[0]} - - [{when}] "{self.requestline}" {code} {size} "-" "{agent}"',
              flush=True)

    def log_message(self, format, *args):
        pass


def ensure_root():
    if not os.path.exists(ROOT):
        os.makedirs(ROOT, exist_ok=True)
        with open(os.path.join(ROOT, "index.html"), "w") as f:
            f.write(WELCOME)
        with open(os.path.join(ROOT, "50x.html"), "w") as f:
            f.write("<html><body><h1>An error occurred.</h1></body></html>\n")


def pod_ip():
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "0.0.0.0"


def main():
    ensure_root()
    host = os.environ.get("KUBELAB_NGINX_HOST") or pod_ip()
    ports = [int(p) for p in os.environ.get("KUBELAB_NGINX_PORTS", "80").split(",") if p.strip()] or [80]
    ThreadingHTTPServer.allow_reuse_address = True
    servers = [ThreadingHTTPServer((host, port), Handler) for port in ports]
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGQUIT, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"{time.strftime('%Y/%m/%d %H:%M:%S')} [notice] 1#1: kubelab nginx listening on "
          + ", ".join(f"{host}:{p}" for p in ports), file=sys.stderr, flush=True)
    done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
