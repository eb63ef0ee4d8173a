"""A minimal RFC 6455 client over a plain socket, for sending frames no library would send.

Frames are built by hand (client frames masked as the RFC requires), so a test can announce lengths
it never sends, split a message into many fragments or set reserved length bits.
"""

import base64
import os
import select
import socket
import struct
import time

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


class ConnectionDropped(Exception):
    """The server closed the TCP connection (EOF or reset) without a close frame."""


def encode_frame(opcode, payload=b"", fin=True, announced_length=None, raw_length_bytes=None):
    """Build one masked client frame.

    announced_length overrides the length field (the payload is still `payload`), and
    raw_length_bytes, if given, replaces the 8-byte extended length verbatim.
    """
    length = len(payload) if announced_length is None else announced_length
    first = (0x80 if fin else 0) | opcode
    if raw_length_bytes is not None:
        header = bytes([first, 0x80 | 127]) + raw_length_bytes
    elif length < 126:
        header = bytes([first, 0x80 | length])
    elif length < 1 << 16:
        header = bytes([first, 0x80 | 126]) + struct.pack("!H", length)
    else:
        header = bytes([first, 0x80 | 127]) + struct.pack("!Q", length)
    mask = os.urandom(4)
    return header + mask + mask_payload(mask, payload)


def mask_payload(mask, payload, offset=0):
    """Mask payload bytes that start `offset` bytes into a frame's payload (RFC 6455 section 5.3)."""
    if not payload:
        return b""
    rotated = mask[offset % 4 :] + mask[: offset % 4]
    key = (rotated * (len(payload) // 4 + 1))[: len(payload)]
    # One big-integer XOR instead of a Python loop: 2 MiB take milliseconds.
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")
    return masked.to_bytes(len(payload), "big")


class RawWebSocket:
    """One WebSocket connection driven byte by byte."""

    def __init__(self, sock, leftover=b""):
        self.sock = sock
        self.buffer = bytearray(leftover)
        self.pending_close = None

    @classmethod
    def connect(cls, port, path, receive_buffer=None, timeout=10.0):
        """Open a connection to 127.0.0.1:port and complete the upgrade handshake.

        Raises HandshakeRejected with the HTTP status when the server rejects the upgrade.
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            # Set before connect so that the advertised TCP window stays small.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        sock.sendall(request.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(1)  # one byte at a time, so no frame byte is read past the headers
            if not chunk:
                sock.close()
                raise HandshakeRejected(0, response.decode(errors="replace"))
            response += chunk
        status_line = response.split(b"\r\n", 1)[0].decode()
        status = int(status_line.split()[1])
        if status != 101:
            sock.close()
            raise HandshakeRejected(status, response.decode(errors="replace"))
        return cls(sock)

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_text(self, text):
        self.sock.sendall(encode_frame(OP_TEXT, text.encode()))

    def _fill(self, count, deadline):
        while len(self.buffer) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete frame within the deadline ({len(self.buffer)} bytes buffered)")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError as error:
                raise ConnectionDropped("connection reset by the server") from error
            if not chunk:
                raise ConnectionDropped("the server closed the TCP connection without a close frame")
            self.buffer += chunk

    def read_frame(self, timeout=10.0):
        """Read one server frame and return (fin, opcode, payload)."""
        deadline = time.monotonic() + timeout
        self._fill(2, deadline)
        fin = bool(self.buffer[0] & 0x80)
        opcode = self.buffer[0] & 0x0F
        length = self.buffer[1] & 0x7F
        header = 2
        if length == 126:
            self._fill(4, deadline)
            length = struct.unpack("!H", self.buffer[2:4])[0]
            header = 4
        elif length == 127:
            self._fill(10, deadline)
            length = struct.unpack("!Q", self.buffer[2:10])[0]
            header = 10
        self._fill(header + length, deadline)
        payload = bytes(self.buffer[header : header + length])
        del self.buffer[: header + length]
        return fin, opcode, payload

    def close_received(self):
        """Read what has arrived without blocking; True once a close frame is among it.

        Other frames are discarded. The close code is kept for read_close.
        """
        while True:
            readable, _, _ = select.select([self.sock], [], [], 0)
            if not readable:
                break
            try:
                chunk = self.sock.recv(65536)
            except (BlockingIOError, ConnectionResetError):
                break
            if not chunk:
                break
            self.buffer += chunk
        while True:
            try:
                # With no time left, read_frame takes only a complete frame from the buffer.
                _, opcode, payload = self.read_frame(timeout=0)
            except TimeoutError:
                return False
            if opcode == OP_CLOSE:
                self.pending_close = payload
                return True

    def read_close(self, timeout=10.0):
        """Read frames until a close frame and return its status code (None if it has no code).

        Raises ConnectionDropped if the TCP connection ends first.
        """
        deadline = time.monotonic() + timeout
        payload = self.pending_close
        while payload is None:
            _, opcode, frame_payload = self.read_frame(timeout=max(0.0, deadline - time.monotonic()))
            if opcode == OP_CLOSE:
                payload = frame_payload
        return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class HandshakeRejected(Exception):
    """The server responded to the upgrade request with an HTTP status other than 101."""

    def __init__(self, status, response):
        super().__init__(f"upgrade rejected with HTTP {status}: {response[:200]!r}")
        self.status = status
        self.response = response
