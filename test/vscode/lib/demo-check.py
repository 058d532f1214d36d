#!/usr/bin/env python3
# Runs the README's main-job command (scripts/demo.sh) the way a user does: in a terminal (a
# pty), waits for the URL, checks the UI behind it (journeys/demo-ui.js), presses Ctrl-C, and
# checks that everything stopped. Prints ok/FAIL lines and 'N passed, N failed'.
#   demo-check.py REPO OUT_DIR        (env: KW_DEMO_PORT, KW_DEMO_RUN pass through)
import os, pty, re, select, signal, subprocess, sys, time, urllib.request

repo, out = sys.argv[1], sys.argv[2]
run_dir = os.environ.get('KW_DEMO_RUN', '')
passed = failed = 0
def result(ok, name, detail=''):
    global passed, failed
    if ok: passed += 1; print(f'ok   {name}', flush=True)
    else: failed += 1; print(f'FAIL {name}{": " + detail if detail else ""}', flush=True)

t0 = time.time()
pid, fd = pty.fork()
if pid == 0:
    os.chdir(repo)
    os.environ.pop('TMPDIR', None)  # as in a user's login shell (the check's own TMPDIR is for Chromium)
    os.execvp('bash', ['bash', 'scripts/demo.sh'])
buf = b''
log = open(os.path.join(out, 'demo.log'), 'wb')
def read_until(pattern, timeout):
    global buf
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r: continue
        try: d = os.read(fd, 65536)
        except OSError: return False
        if not d: return False
        buf += d; log.write(d); log.flush()
        if re.search(pattern, buf): return True
    return False

def healthy(port):
    try: return urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=3).status == 200
    except Exception: return False

up = read_until(rb'Press Ctrl-C to stop', 900)
m = re.search(rb'http://127\.0\.0\.1:(\d+)/', buf)
result(up and m is not None, f'demo: scripts/demo.sh printed the URL ({time.time() - t0:.1f}s incl. setup check and build)',
       buf.decode(errors='replace')[-600:])
if up and m:
    port = m.group(1).decode()
    result(healthy(port), f'demo: code-server answers on 127.0.0.1:{port}')
    # what the user's terminals inherit: the real TMPDIR (mktemp must land in /tmp), and the
    # folder opened is the scratch workspace with its README, never the repository
    try:
        cs_pid = open(os.path.join(run_dir, 'cs.pid')).read().strip() if run_dir else ''
        env = dict(kv.split('=', 1) for kv in open(f'/proc/{cs_pid}/environ', 'rb').read().decode(errors='replace').split('\0') if '=' in kv)
        argv = open(f'/proc/{cs_pid}/cmdline', 'rb').read().decode(errors='replace').split('\0')
    except OSError as e:
        env, argv = None, []
        result(False, 'demo: code-server process readable', str(e))
    if env is not None:
        tmp = env.get('TMPDIR')
        result(tmp is None or not (tmp + '/').startswith(run_dir.rstrip('/') + '/'), 'demo: TMPDIR is left alone (not a folder of the demo)', f'TMPDIR={tmp}')
        folder = next((a for a in reversed(argv) if a.startswith('/')), '')
        readme = os.path.join(folder, 'README.md')
        result(os.path.realpath(folder) != os.path.realpath(repo) and os.path.isfile(readme) and 'things to try' in open(readme).read(),
               'demo: opens a scratch workspace with a README of what to try, not the repository', folder)
    ui = subprocess.run(['node', os.path.join(os.environ.get('KW_VSCODE_JS') or os.path.join(repo, 'out'), 'test/vscode/journeys/demo-ui.js'), f'http://127.0.0.1:{port}', out],
                        capture_output=True, text=True, timeout=300)
    lines = ui.stdout.strip().splitlines()
    for l in lines[:-1]: print(l)
    mm = re.match(r'(\d+) passed, (\d+) failed', lines[-1] if lines else '')
    if mm: passed += int(mm.group(1)); failed += int(mm.group(2))
    if not mm or ui.returncode != 0 and int(mm.group(2)) == 0: failed += 1; print(ui.stderr[-800:])
    os.write(fd, b'\x03')   # Ctrl-C in the terminal
    stopped = read_until(rb'demo: stopped', 60)
    try: _, status = os.waitpid(pid, 0)
    except ChildProcessError: status = 0
    result(stopped and not healthy(port), 'demo: Ctrl-C stops code-server and the script exits')
    left = subprocess.run(['pgrep', '-f', run_dir], capture_output=True, text=True).stdout.split() if run_dir else []
    result(not left, 'demo: nothing of the demo is left running', ' '.join(left))
else:
    os.kill(pid, signal.SIGTERM); os.waitpid(pid, 0)
print(f'{passed} passed, {failed} failed')
sys.exit(1 if failed else 0)
