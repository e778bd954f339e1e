#!/usr/bin/env python3
"""UDP relay on 127.0.0.1 that checks every datagram is one plain SCTP packet.

    encaps_wire_check.py LISTEN_PORT SERVER_PORT CLIENT_SCTP_PORT SERVER_SCTP_PORT SECONDS

For the --encaps mode (RFC 6951).  The client sends to LISTEN_PORT; datagrams
are forwarded to 127.0.0.1:SERVER_PORT from a second socket with an ephemeral
port, so the server sees a UDP source port that differs from the client's and
must answer to it.  Answers go back to the client from LISTEN_PORT.

Each datagram must be a bare SCTP packet: the UDP payload starts with the SCTP
common header (source port, destination port, verification tag, CRC32c),
with no IP or extra UDP header in front.  Checked: the two ports are the
expected SCTP ports for the direction, the CRC32c is correct, and the chunks
parse to exactly the datagram's end.  Prints counts and chunk types as JSON;
exit status 0 if nothing was wrong and both directions carried packets.
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ next to the tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crc32c_check import crc32c  # noqa: E402
from relay import relay  # noqa: E402

CHUNK_NAMES = {0: "DATA", 1: "INIT", 2: "INIT_ACK", 3: "SACK", 4: "HEARTBEAT", 5: "HEARTBEAT_ACK",
               6: "ABORT", 7: "SHUTDOWN", 8: "SHUTDOWN_ACK", 9: "ERROR", 10: "COOKIE_ECHO",
               11: "COOKIE_ACK", 14: "SHUTDOWN_COMPLETE", 64: "I_DATA", 130: "RE_CONFIG",
               192: "FORWARD_TSN", 194: "I_FORWARD_TSN"}


def check(data, src_port, dst_port, stats, key):
    """Return a problem description, or None if data is one good SCTP packet."""
    if len(data) < 16:
        return f"too short ({len(data)} bytes)"
    sport, dport = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:4], "big")
    if (sport, dport) != (src_port, dst_port):
        return f"ports {sport}->{dport}, expected SCTP {src_port}->{dst_port}"
    stored = int.from_bytes(data[8:12], "little")
    if crc32c(data[:8] + b"\0\0\0\0" + data[12:]) != stored:
        return "bad CRC32c"
    off = 12
    while off < len(data):
        if off + 4 > len(data):
            return f"truncated chunk header at {off}"
        ctype, clen = data[off], int.from_bytes(data[off + 2:off + 4], "big")
        if clen < 4 or off + clen > len(data):
            return f"bad chunk length {clen} at {off}"
        name = CHUNK_NAMES.get(ctype, str(ctype))
        stats["chunks_" + key][name] = stats["chunks_" + key].get(name, 0) + 1
        off += (clen + 3) & ~3
    if off != (len(data) + 3) & ~3:
        return "trailing bytes"
    return None


def main():
    listen_port, server_port, client_sctp, server_sctp = (int(x) for x in sys.argv[1:5])
    seconds = float(sys.argv[5])
    stats = {"to_server": 0, "to_client": 0, "bad": 0, "problems": [],
             "relay_udp_port_seen_by_server": None,
             "client_udp_ports": [], "server_udp_ports": [],
             "chunks_to_server": {}, "chunks_to_client": {}}

    def inspect(data, up, addr):
        key = "to_server" if up else "to_client"
        stats[key] += 1
        ports = stats["client_udp_ports" if up else "server_udp_ports"]
        if addr[1] not in ports:
            ports.append(addr[1])
        problem = check(data, *((client_sctp, server_sctp) if up else (server_sctp, client_sctp)),
                        stats, key)
        if problem:
            stats["bad"] += 1
            if len(stats["problems"]) < 10:
                stats["problems"].append(f"{key} #{stats[key]}: {problem}")
        return data

    stats["relay_udp_port_seen_by_server"] = relay(listen_port, server_port, seconds, inspect)
    print(json.dumps(stats))
    return 0 if stats["bad"] == 0 and stats["to_server"] and stats["to_client"] else 1


if __name__ == "__main__":
    sys.exit(main())
