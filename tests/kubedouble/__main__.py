"""Run the double by hand: python -m tests.kubedouble [--port N] [--token T] [--dir D] [-v]"""
import argparse
import shlex
import tempfile
import time

from . import KubeDouble


def main():
    parser = argparse.ArgumentParser(prog="python -m tests.kubedouble", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--token", default="kubedouble-token", help="the bearer token clients must send")
    parser.add_argument("--dir", help="where to write the kubeconfig and CA (default: a temp dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args()
    workdir = args.dir or tempfile.mkdtemp(prefix="kubedouble-")
    api = KubeDouble.start(workdir, port=args.port, token=args.token, verbose=args.verbose)
    print(f"kubedouble listening on {api.url}")
    print(f"kubeconfig: {api.kubeconfig}")
    print(f"export KUBECONFIG={shlex.quote(api.kubeconfig)}")
    print("# or, as AWX's Kubernetes bearer-token credential does:")
    for k in ("K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_SSL_CA_CERT", "K8S_AUTH_VERIFY_SSL"):
        print(f"export {k}={shlex.quote(api.awx_env()[k])}")
    print("Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        api.stop()


if __name__ == "__main__":
    main()
