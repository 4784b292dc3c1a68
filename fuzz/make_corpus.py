#!/usr/bin/env python3
"""Writes seed inputs for the fuzzers (canonical encodings of valid structures), so libFuzzer
starts from inputs that reach deep into each decoder. Signatures are zero bytes: decoders check
structure, not signatures. Run from fuzz/: python3 make_corpus.py"""
import json, os, struct

def u8(v): return struct.pack('<B', v)
def u32(v): return struct.pack('<I', v)
def u64(v): return struct.pack('<Q', v)
def bts(b): return u32(len(b)) + b
def string(s): return bts(s.encode())

def transfer(nonce=1, amount=5):
    return (string('synod-test') + bytes(range(32)) + u64(nonce) + u64(10) + u8(1) +
            bytes([7] * 20) + u64(amount) + bytes(64))

def kv_put():
    return (string('synod-kv') + bytes(32) + u64(0) + u64(0) + u8(2) + bts(b'key') +
            bts(b'value') + bytes(64))

def certificate(signers):
    out = u64(4) + u64(1) + bytes([9] * 32) + u32(len(signers))
    for index in signers:
        out += u32(index) + bytes([index] * 64)
    return out

def header(count):
    return (string('synod-test') + u64(5) + bytes(32) + u64(1234) + bytes(32) + u32(count) +
            bytes(32) * 3 + bts(b'\x01\x02') + certificate([0, 1, 2]))

def validator_set(n):
    out = u32(n)
    for i in range(n):
        out += bytes([i + 1] * 32) + u64(i + 1) + string('v%d' % i)
    return out

def write(name, index, data):
    os.makedirs(os.path.join('corpus', name), exist_ok=True)
    with open(os.path.join('corpus', name, 'seed%d' % index), 'wb') as f:
        f.write(data)

write('transaction', 0, transfer())
write('transaction', 1, kv_put())
write('block', 0, header(0) + u32(0))
write('block', 1, header(2) + u32(2) + transfer(1) + transfer(2))
write('validator_set', 0, b'\x00' + validator_set(4))
write('validator_set', 1, b'\x01' + certificate([0, 2, 3]))
write('genesis', 0, json.dumps({
    'chain_id': 'synod-test', 'genesis_time_ms': 0,
    'app': {'name': 'ledger'},
    'consensus': {'mechanism': 'pbft', 'block_interval_ms': 500},
    'accounts': [],
    'validators': [{'name': 'v0', 'public_key': '11' * 32, 'power': 1}]}).encode())
write('genesis', 1, b'synod1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq')
