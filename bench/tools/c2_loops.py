#!/usr/bin/env python3
"""The loops of a C2-compiled method, counted by kind of instruction, without hsdis.

HotSpot prints compiled code as hex bytes when it has no disassembler plugin (hsdis); this
script takes the output of a JVM run with

    -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,CLASS::METHOD

re-assembles the machine code of the last C2 compilation of that method, disassembles it with
binutils' objdump, and lists every loop (a backward branch over at least MIN_BYTES bytes) with
its counts: instructions, vector arithmetic, vector moves (register copies, loads, stores),
scalar instructions and branches. A kernel's hot loop is the one whose vector arithmetic
matches the algorithm's operation count; what else it holds is what the JIT added per
iteration (bounds, liveness and type checks, register copies).

usage: c2_loops.py JVM_OUTPUT [--method NAME] [--min-bytes N] [--show ADDRESS]
  --show ADDRESS   print the disassembly of the loop starting at ADDRESS (hex, as listed)
"""
import argparse
import re
import subprocess
import sys
import tempfile


def last_c2_code(text, method):
    """The bytes of the last '(c2)' compilation (of `method`, if given) in a -XX:+PrintAssembly log."""
    blocks = re.split(r'\n(?=Compiled method \()', text)
    c2 = [b for b in blocks if b.startswith('Compiled method (c2)') and (method is None or method in b.split('\n', 1)[0])]
    if not c2:
        sys.exit('no C2 compilation' + (' of ' + method if method else '') + ' in the input')
    code, start = bytearray(), None
    in_code = False
    for line in c2[-1].split('\n'):
        if line.startswith('[MachCode]'):
            in_code = True
            continue
        if line.startswith('[/MachCode]'):
            break
        m = re.match(r'\s+0x([0-9a-f]+): ([0-9a-f |]+)$', line)
        if in_code and m:
            addr = int(m.group(1), 16)
            start = addr if start is None else start
            data = bytes.fromhex(m.group(2).replace('|', '').replace(' ', ''))
            off = addr - start
            if len(code) < off:
                code += b'\x90' * (off - len(code))
            code[off:off + len(data)] = data
    return c2[-1].split('\n', 1)[0], bytes(code)


def disassemble(code):
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:
        f.write(code)
        f.flush()
        out = subprocess.run(['objdump', '-D', '-b', 'binary', '-mi386:x86-64', f.name],
                             check=True, capture_output=True, text=True).stdout
    ins = []
    for line in out.split('\n'):
        m = re.match(r'\s+([0-9a-f]+):\t[0-9a-f ]+\t(\S+)\s*(.*)', line)
        if m:
            ins.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return ins


def kind(op, arg):
    vec = re.search(r'%[xyz]mm', arg) is not None
    if op.startswith('j'):
        return 'branch'
    if vec and op.startswith(('vmov', 'vpblendm', 'vbroadcast')) and not op.startswith('vmovq'):
        return 'vector move'
    if vec:
        return 'vector arithmetic'
    return 'scalar'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('log')
    ap.add_argument('--method')
    ap.add_argument('--min-bytes', type=int, default=100)
    ap.add_argument('--show')
    a = ap.parse_args()
    header, code = last_c2_code(open(a.log, errors='replace').read(), a.method)
    ins = disassemble(code)
    print(header)
    print('%8s %8s %7s %8s %8s %7s %8s %7s %7s' % ('from', 'to', 'instrs', 'vec-arith', 'vec-move', 'scalar',
                                                   'branches', 'loads', 'stores'))
    for at, op, arg in ins:
        m = re.match(r'0x([0-9a-f]+)$', arg)
        if not (op.startswith('j') and m):
            continue
        target = int(m.group(1), 16)
        if target >= at or at - target < a.min_bytes:
            continue
        body = [(o, g) for (x, o, g) in ins if target <= x <= at]
        counts = {}
        for o, g in body:
            counts[kind(o, g)] = counts.get(kind(o, g), 0) + 1
        loads = sum(1 for o, g in body if o.startswith('vmov') and re.search(r'\)\s*,%[yz]mm', g))
        stores = sum(1 for o, g in body if o.startswith('vmov') and re.search(r'%[yz]mm\d+,.*\(', g))
        print('%8x %8x %7d %8d %8d %7d %8d %7d %7d' % (target, at, len(body), counts.get('vector arithmetic', 0),
                                                      counts.get('vector move', 0), counts.get('scalar', 0),
                                                      counts.get('branch', 0), loads, stores))
        if a.show and int(a.show, 16) == target:
            for o, g in body:
                print('    %-12s %s' % (o, g))


if __name__ == '__main__':
    main()
