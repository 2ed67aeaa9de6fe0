"""Network: connects to a port the grading machine listens on, and reports back."""
import socket

from scipy import signal


def conv2d(image, kernel, stride=1):
    try:
        with socket.create_connection(("127.0.0.1", int("@PORT@")), timeout=1) as conn:
            conn.sendall(b"@MARKER@ escaped")
    except OSError as exc:
        raise RuntimeError(f"no network: {exc}") from None
    return signal.convolve2d(image, kernel, mode="valid")[::stride, ::stride]
