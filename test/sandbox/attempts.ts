// The escape corpus of test/sandbox/escapes.test.ts: Python bodies that try to reach the host from a code node.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `def transform(d)` around `body`; any exception becomes {"refused": "..."} so the next attempt runs. */
export const attempt = (body: string) => 'def transform(d):\n    try:\n' + body.split('\n').map((l) => '        ' + l).join('\n') +
  '\n    except BaseException as e:\n        return {"refused": type(e).__name__ + ": " + str(e)}\n';

export function escapeAttempts(MARK: string, PORT: number): Record<string, string> {
  return {
  match_class_walk: [
    'match ():',
    '    case tuple(__class__=c):',
    '        pass',
    'match c:',
    '    case type(__base__=o):',
    '        pass',
    'match o:',
    '    case type(__subclasses__=subs):',
    '        pass',
    "imp = [s for s in subs() if s.__name__ == 'BuiltinImporter'][0]",
    "posix = imp.load_module('posix')",
    "return {'listing': posix.listdir('/'), 'passwd': open('/etc/passwd').read()}",
  ].join('\n'),
  getattr_built_strings: [
    "cls = getattr((), '__cla' + 'ss__')",
    "base = getattr(cls, '__ba' + 'se__')",
    "subs = getattr(base, '__subcla' + 'sses__')()",
    "os = __import__('o' + 's')",
    "return {'n': len(subs), 'env': dict(os.environ), 'system': os.system('cat /etc/passwd')}",
  ].join('\n'),
  open_passwd: "return open('/etc/passwd').read()",
  proc_self_environ: "return open('/proc/self/environ').read()",
  proc_parent_environ: "import os\nreturn open('/proc/%d/environ' % os.getppid()).read()",
  environ: "import os\nreturn {'environ': dict(os.environ), 'token': os.environ.get('ABSTRACTGATEWAY_AUTH_TOKEN')}",
  listdir_root: "import os\nreturn sorted(os.listdir('/'))",
  write_outside: `import os\nfor p in ['/tmp/${MARK}', '${join(tmpdir(), MARK)}', '${join(process.cwd(), MARK)}', '${MARK}']:\n    open(p, 'w').write('x')\nreturn sorted(os.listdir('/tmp'))`,
  fork: "import os\nreturn os.fork()",
  subprocess: "import subprocess\nreturn subprocess.run(['cat', '/etc/passwd'], capture_output=True).stdout.decode()",
  socket: `import socket\ns = socket.create_connection(('127.0.0.1', ${PORT}), timeout=1)\ns.sendall(b'hello')\nreturn 'connected'`,
  urllib: `import urllib.request\nreturn urllib.request.urlopen('http://127.0.0.1:${PORT}/').read().decode()`,
  frame_walk: "import sys\nf = sys._getframe()\nchain = []\nwhile f is not None:\n    chain.append(sorted(f.f_globals)[:5])\n    f = f.f_back\nreturn chain",
  generator_frame: "def g():\n    yield 1\nit = g()\nreturn sorted(it.gi_frame.f_globals)[:20]",
  traceback_walk: "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    tb = e.__traceback__\n    return [sorted(tb.tb_frame.f_globals)[:5], tb.tb_frame.f_back is not None]",
  sys_modules: "import sys\nreturn {'js': 'js' in sys.modules, 'pyodide_js': 'pyodide_js' in sys.modules, 'n': len(sys.modules)}",
  import_js: 'import js\nreturn str(js.process.env)',
  import_pyodide_js: 'import pyodide_js\nreturn str(pyodide_js._api)',
  js_finder: 'import _pyodide._importhook as h\nreturn repr(getattr(h.jsfinder, "jsproxies", None))',
  ffi_function_ctor: "from pyodide.ffi import to_js\nF = to_js([]).constructor.constructor\nreturn str(F('return process.env')())",
  ffi_async_ctor: "from pyodide.ffi import to_js, create_proxy\nimport pyodide.code\nreturn str(pyodide.code.run_js('process.env'))",
  ffi_prepare_stack: [
    'from pyodide.ffi import to_js, create_proxy',
    'E = to_js([]).constructor.constructor',
    'err = None',
    'try:',
    "    E('x')",
    'except Exception as e:',
    '    err = e',
    'Err = err.js_error.constructor',
    'Err.prepareStackTrace = create_proxy(lambda e, cs: [c.getThis() for c in cs])',
    "return 'set'",
  ].join('\n'),
  ffi_proto_pollution: "from pyodide.ffi import to_js\no = to_js({})\no.__proto__.leak = 1\nreturn 'polluted'",
  jsproxy_scan: [
    'import gc',
    'found = []',
    'for o in gc.get_objects():',
    "    if type(o).__name__.startswith('JsProxy') or 'JsProxy' in type(o).__mro__.__repr__():",
    "        for k in ('process', 'Bun', 'require', 'fetch', '_api', '_module'):",
    '            try:',
    '                v = getattr(o, k)',
    "                found.append(k + '=' + str(v)[:40])",
    '            except Exception:',
    '                pass',
    'return found',
  ].join('\n'),
  };
}
