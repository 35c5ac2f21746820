'use strict';
/*
 * The program that runs a submitted JavaScript solution inside the sandbox (copied there as
 * kiln_harness.js and run by node). It requires only node's built-in modules.
 *
 * The solution is a CommonJS script, loaded as node itself loads one: vm.compileFunction with the module
 * wrapper's parameters (exports, require, module, __filename, __dirname), the same parse that
 * `node --check` did in the compile step. One line is appended after the code,
 * `return typeof NAME === "function" ? NAME : undefined;`, so the function is found by its name whether it
 * is a function declaration or a `const`/`let` arrow, without any export; being appended, it leaves the
 * code's line and column numbers exact. `process.exit` is replaced by a function that throws before any
 * solution code runs, so an exit is one failed call instead of a silent end.
 *
 * Three modes (argv[2]):
 *
 * tests  Language-neutral problems. stdin holds {"entry_point", "returns", "calls"}: the function's
 *        name, its return type (["list", ["int"]] for list[int]) and each call's arguments in the
 *        codekiln.wire encoding. Every row goes to stdout (fd 1) as one JSON line: {"ready": true} before
 *        any solution code runs; then {"i": INDEX, "value": WIRE, "time": SECONDS} or
 *        {"i": INDEX, "error": "Type: message"} per call, or {"load_error": ...}. The solution's own
 *        console output and process.stdout go to stderr; a row it forges on fd 1 itself must hold the
 *        right value to count (the first row for each index counts), which is solving the problem. The
 *        verifier compares the values with the expected ones outside the sandbox: they never enter it.
 *
 *        JavaScript has one number type, so the declared return type says how a number is reported: an
 *        integer-valued number (or a BigInt) as an exact integer where the type says int, any other
 *        number as a float. A number that is not an integer where an int is expected arrives as a float
 *        and fails the comparison. Dictionaries are plain objects (an int key is the decimal string of
 *        the integer, as JavaScript writes every object key) or Maps.
 *
 * serve  The solution's side of a benchmark's own tests (HumanEval-X). It writes {"ready": true} on fd 3,
 *        loads the solution, then answers each request line on stdin ({"args": BASE64}) with one line on
 *        fd 3: {"value": BASE64} or {"error": ...} ({"load_error": ...} once, if loading failed). Values
 *        are v8.serialize'd (the structured clone algorithm): plain data only, no functions or prototypes.
 *
 * warm   Tests mode for a node started ahead of its sample (the verifier's warm path): see warm() below.
 *
 * check  The benchmark's test code, in a sandbox of its own (another uid, another pid namespace: the
 *        solution can neither read nor signal it). tests.json holds {"prompt", "test"}; the entry
 *        point is a proxy that writes each call's arguments on fd 3 and reads the answer from stdin (the
 *        verifier relays both ways: codekiln.verifier.relay). console.assert throws, as a failed assertion should. The verdict
 *        goes to fd 3: {"check": "passed" | "failed" | "error" | "infra", "message": ...}; "error" when
 *        the solution failed (an exception, a crash, a malformed answer), "infra" when the test code
 *        itself cannot run (it does not compile, or it needs a module that is not installed).
 */

const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const vm = require('vm');
const { createRequire } = require('module');
const { Writable } = require('stream');
const { types } = require('util');

// Bound now, before any solution code can replace them.
const { readFileSync, readSync, writeSync } = fs;
const { isArray } = Array;
const { getPrototypeOf, keys: objectKeys } = Object;
const stringify = JSON.stringify;
const parseJson = JSON.parse;
const now = performance.now.bind(performance);
const exitNow = typeof process.reallyExit === 'function' ? process.reallyExit.bind(process) : process.exit.bind(process);
const SOLUTION_FILE = path.resolve('solution.js');
const TESTS_FILE = path.resolve('tests.json');
const MAX_DEPTH = 100;
const INTEGER_KEY = /^-?(0|[1-9][0-9]*)$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

class ProcessExit extends Error {}
ProcessExit.prototype.name = 'ProcessExit';

// -- lines in and out ----------------------------------------------------------------------------------

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function writeLine(fd, text) {
  writeAll(fd, Buffer.from(text + '\n', 'utf8'));
}

function writeAll(fd, data) {
  let done = 0;
  while (done < data.length) {
    try {
      done += writeSync(fd, data, done, data.length - done);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
      sleepMs(1); // someone made the descriptor non-blocking
    }
  }
}

function lineReader(fd) {
  const chunk = Buffer.alloc(65536);
  let pending = Buffer.alloc(0);
  let ended = false;
  return function readLine() {
    for (;;) {
      const newline = pending.indexOf(10);
      if (newline >= 0) {
        const line = pending.subarray(0, newline).toString('utf8');
        pending = pending.subarray(newline + 1);
        return line;
      }
      if (ended) return null;
      let count;
      try {
        count = readSync(fd, chunk, 0, chunk.length, null);
      } catch (error) {
        if (error.code !== 'EAGAIN') throw error;
        sleepMs(1); // a non-blocking descriptor with nothing to read yet
        continue;
      }
      if (count === 0) ended = true;
      else pending = Buffer.concat([pending, chunk.subarray(0, count)]);
    }
  };
}

function describe(error) {
  let text;
  try {
    if (error !== null && typeof error === 'object' && typeof error.message === 'string') {
      const name = typeof error.name === 'string' && error.name ? error.name : 'Error';
      text = error.message ? `${name}: ${error.message}` : name;
    } else {
      text = `Uncaught ${typeof error}: ${String(error)}`;
    }
  } catch (_) {
    text = 'an exception that cannot be described';
  }
  return text.length <= 500 ? text : text.slice(0, 497) + '...';
}

// -- loading the solution ----------------------------------------------------------------------------------

function interceptExit() {
  process.exit = function exit(code) {
    throw new ProcessExit(`process.exit(${code === undefined ? '' : code}) was called`);
  };
}

/** The solution compiled (parsed, not run) as node compiles a CommonJS module: throws its SyntaxError. */
function compileSolution(source, entryPoint) {
  if (!IDENTIFIER.test(entryPoint)) throw new Error(`bad entry point ${stringify(entryPoint)}`);
  const body = `${source}\n;return typeof ${entryPoint} === "function" ? ${entryPoint} : undefined;`;
  return vm.compileFunction(body, ['exports', 'require', 'module', '__filename', '__dirname'],
    { filename: SOLUTION_FILE });
}

/** Run the solution's top level (the wrapper from compileSolution, or solution.js compiled now) and return
 * its entry function. */
function loadSolution(entryPoint, wrapper) {
  if (wrapper === undefined) wrapper = compileSolution(readFileSync(SOLUTION_FILE, 'utf8'), entryPoint);
  const module = { exports: {}, filename: SOLUTION_FILE, id: '.', loaded: false };
  const found = wrapper.call(module.exports, module.exports, createRequire(SOLUTION_FILE), module,
    SOLUTION_FILE, path.dirname(SOLUTION_FILE));
  if (typeof found !== 'function') {
    throw new ReferenceError(`the solution defines no function named '${entryPoint}'`);
  }
  return found;
}

// -- the wire encoding (tests mode) --------------------------------------------------------------------

function decodeWire(data) {
  if (isArray(data)) return data.map(decodeWire);
  if (data === null || typeof data !== 'object') return data;
  const names = objectKeys(data);
  if (names.length === 1) {
    const inner = data[names[0]];
    switch (names[0]) {
      case '$tuple': return inner.map(decodeWire);
      case '$dict': return Object.fromEntries(inner.map(([k, v]) => [String(decodeWire(k)), decodeWire(v)]));
      case '$set': return new Set(inner.map(decodeWire));
      case '$float': return inner === 'nan' ? NaN : inner === 'inf' ? Infinity : inner === '-inf' ? -Infinity : Number(inner);
    }
  }
  return Object.fromEntries(names.map((k) => [k, decodeWire(data[k])]));
}

function encodeNumber(value, asInt) {
  if (value !== value) return '{"$float":"nan"}';
  if (value === Infinity) return '{"$float":"inf"}';
  if (value === -Infinity) return '{"$float":"-inf"}';
  if (asInt && Number.isInteger(value)) return BigInt(value).toString(); // exact, never 1e+21
  return value === 0 ? '0' : String(value);
}

function typeName(value) {
  if (types.isProxy(value)) return 'Proxy';
  if (typeof value !== 'object') return typeof value;
  const proto = getPrototypeOf(value);
  const constructor = proto && Object.getOwnPropertyDescriptor(proto, 'constructor');
  return constructor && typeof constructor.value === 'function' ? constructor.value.name || 'object' : 'object';
}

function unsupported(value) {
  return new TypeError(`returned a value of unsupported type ${typeName(value)}`);
}

/** JSON text (codekiln.wire) of `value`, read as the type `spec` says: ["int"], ["list", ["int"]], ... or
 * null when the value is not of the declared shape (then it is reported as what it is, and fails). */
function encode(value, spec, depth) {
  if (depth > MAX_DEPTH) throw new RangeError(`returned a value nested more than ${MAX_DEPTH} levels deep`);
  const kind = spec ? spec[0] : null;
  if (kind === 'optional') return value === null || value === undefined ? 'null' : encode(value, spec[1], depth);
  switch (typeof value) {
    case 'undefined': return 'null';
    case 'boolean': return value ? 'true' : 'false';
    case 'string': return stringify(value);
    case 'bigint': return value.toString();
    case 'number': return encodeNumber(value, kind === 'int' || (kind === null && Number.isInteger(value)));
    case 'object': break;
    default: throw unsupported(value);
  }
  if (value === null) return 'null';
  if (types.isProxy(value)) throw unsupported(value);
  const proto = getPrototypeOf(value);
  if (isArray(value) && proto === Array.prototype) {
    const items = [];
    if (kind === 'tuple' && value.length === spec.length - 1) {
      for (let i = 0; i < value.length; i++) items.push(encode(value[i], spec[i + 1], depth + 1));
      return `{"$tuple":[${items.join(',')}]}`;
    }
    const itemSpec = kind === 'list' ? spec[1] : null;
    for (let i = 0; i < value.length; i++) items.push(encode(value[i], itemSpec, depth + 1));
    return `[${items.join(',')}]`;
  }
  const keySpec = kind === 'dict' ? spec[1] : null;
  const valueSpec = kind === 'dict' ? spec[2] : null;
  if (types.isMap(value) && proto === Map.prototype) {
    const pairs = [];
    for (const [k, v] of Map.prototype.entries.call(value)) {
      pairs.push(`[${encode(k, null, depth + 1)},${encode(v, valueSpec, depth + 1)}]`);
    }
    return `{"$dict":[${pairs.join(',')}]}`;
  }
  if (types.isSet(value) && proto === Set.prototype) {
    const items = [];
    for (const item of Set.prototype.values.call(value)) items.push(encode(item, null, depth + 1));
    return `{"$set":[${items.join(',')}]}`;
  }
  if (proto === Object.prototype || proto === null) {
    const intKeys = keySpec !== null && keySpec[0] === 'int';
    const pairs = [];
    for (const k of objectKeys(value)) {
      const key = intKeys && INTEGER_KEY.test(k) ? k : stringify(k);
      pairs.push(`[${key},${encode(value[k], valueSpec, depth + 1)}]`);
    }
    return `{"$dict":[${pairs.join(',')}]}`;
  }
  throw unsupported(value);
}

/** `request` (or stdin's) tests, on the solution `wrapper` (or solution.js). */
function runTests(request, wrapper) {
  const write = (text) => writeLine(1, text);
  write('{"ready":true}');
  if (request === undefined) request = parseJson(readFileSync(0, 'utf8'));
  redirectOutput(2); // stdout carries the rows
  interceptExit();
  let fn;
  try {
    fn = loadSolution(request.entry_point, wrapper);
  } catch (error) {
    write(stringify({ load_error: describe(error) }));
    return;
  }
  const calls = request.calls;
  for (let i = 0; i < calls.length; i++) {
    const args = decodeWire(calls[i]);
    let row;
    const start = now();
    try {
      const value = encode(fn.apply(undefined, args), request.returns, 0);
      row = `{"i":${i},"value":${value},"time":${(now() - start) / 1000}}`;
    } catch (error) {
      row = stringify({ i, error: describe(error) });
    }
    write(row);
  }
}

/** A stream that writes to `fd` at once. node's own process.stdout and process.stderr queue what a full pipe
 * does not take until the event loop runs, which a solution printing in a loop never lets happen: the queue
 * would grow until memory runs out, where the sandbox should see the output limit. */
function syncStream(fd) {
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      writeAll(fd, chunk);
      callback();
    },
  });
  stream.fd = fd;
  return stream;
}

/** process.stdout and process.stderr write synchronously to `stdoutFd` and 2, and the console with them. */
function redirectOutput(stdoutFd) {
  const stdout = syncStream(stdoutFd);
  const stderr = syncStream(2);
  for (const [name, stream] of [['stdout', stdout], ['stderr', stderr]]) {
    Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => stream });
  }
  globalThis.console = new console.Console({ stdout, stderr });
}

// -- benchmark tests: the solution's side (serve) and the tests' side (check) ------------------------------

const pack = (value) => v8.serialize(value).toString('base64');
const unpack = (text) => v8.deserialize(Buffer.from(text, 'base64'));

function serve(entryPoint) {
  const write = (text) => writeLine(3, text);
  write('{"ready":true}');
  redirectOutput(1);
  interceptExit();
  let fn;
  try {
    fn = loadSolution(entryPoint);
  } catch (error) {
    write(stringify({ load_error: describe(error) }));
    return;
  }
  const readLine = lineReader(0);
  for (let line = readLine(); line !== null; line = readLine()) {
    let answer;
    try {
      const value = fn.apply(undefined, unpack(parseJson(line).args));
      try {
        answer = `{"value":${stringify(pack(value))}}`;
      } catch (error) {
        answer = stringify({ error: `returned a value the tests cannot receive (${describe(error)})` });
      }
    } catch (error) {
      answer = stringify({ error: describe(error) });
    }
    write(answer);
  }
}

class CandidateError extends Error {}
CandidateError.prototype.name = 'CandidateError';

class TestAssertionError extends Error {}
TestAssertionError.prototype.name = 'AssertionError';

function check(entryPoint) {
  const write = (text) => writeLine(3, text);
  write('{"ready":true}');
  const readLine = lineReader(0);
  const request = parseJson(readFileSync(TESTS_FILE, 'utf8'));
  let failure = null; // the first thing that went wrong on the solution's side: sticky, even if caught

  function candidate(...args) {
    if (failure === null) {
      writeLine(3, stringify({ args: pack(args) }));
      const line = readLine();
      let row = null;
      try {
        row = parseJson(line);
      } catch (_) {
        failure = line === null ? "the solution's process ended before the tests finished"
          : "the solution's process sent a malformed answer";
      }
      if (row !== null && typeof row === 'object' && typeof row.value === 'string') {
        try {
          return unpack(row.value);
        } catch (_) {
          failure = "the solution's process sent a malformed answer";
        }
      } else if (failure === null) {
        const message = row !== null && typeof row === 'object' ? row.load_error || row.error : null;
        failure = typeof message === 'string' ? message : "the solution's process ended before the tests finished";
      }
    }
    throw new CandidateError(failure);
  }

  console.assert = (condition, ...message) => {
    if (!condition) throw new TestAssertionError(message.map(String).join(' '));
  };
  let program;
  try {
    program = compileCheck(request.prompt, request.test, entryPoint);
  } catch (error) {
    write(stringify({ check: 'infra', message: `the test code does not compile: ${describe(error)}` }));
    return;
  }
  let verdict;
  try {
    program(createRequire(SOLUTION_FILE), candidate);
    verdict = { check: 'passed' };
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') {
      verdict = { check: 'infra', message: `the test code needs a module that is not installed: ${describe(error)}` };
    } else if (error instanceof TestAssertionError || (error && error.name === 'AssertionError')) {
      const detail = describe(error).replace(/^AssertionError(: )?/, '');
      verdict = { check: 'failed', message: detail ? `assertion failed: ${detail}` : 'assertion failed' };
    } else {
      verdict = { check: 'failed', message: describe(error) };
    }
  }
  if (failure !== null) verdict = { check: 'error', message: failure };
  write(stringify(verdict));
}

/** The prompt (public: the model continued it) with its open function closed, so that the helpers it
 * defines exist, then the test code in a scope where the entry point's name is the proxy. */
function compileCheck(prompt, test, entryPoint) {
  if (!IDENTIFIER.test(entryPoint)) throw new Error(`bad entry point ${stringify(entryPoint)}`);
  const params = ['require', '__kilnCandidate'];
  const tests = `\n;(function (${entryPoint}) {\n${test}\n}).call(globalThis, __kilnCandidate);\n`;
  for (const prefix of [`${prompt}\n}\n`, prompt, '']) {
    try {
      return vm.compileFunction(prefix + tests, params, { filename: path.resolve('tests.js') });
    } catch (error) {
      if (prefix === '') throw error;
    }
  }
  return null; // unreachable: the last attempt throws
}

/** Started ahead of its sample: the tests request arrives on stdin as one line, with the solution's source. The
 * solution is compiled first, and the outcome goes to fd 3 ({"compiled": true}, or {"syntax_error": the
 * error as `node --check` prints it}), which is then closed; the tests then run as in tests mode. */
function warm() {
  writeLine(3, '{"ready":true}');
  const line = lineReader(0)();
  if (line === null) return; // never given a sample: ended unused
  const request = parseJson(line);
  let wrapper;
  try {
    wrapper = compileSolution(request.source, request.entry_point);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    writeLine(3, stringify({ syntax_error: String(error.stack).slice(0, 4000) }));
    return;
  }
  fs.writeFileSync(SOLUTION_FILE, request.source); // as on the cold path, where the code can read its own file
  writeLine(3, '{"compiled":true}');
  fs.closeSync(3);
  runTests(request, wrapper);
}

/** Runs the mode of process.argv, then ends the process through `exit` (kiln_zygote.js passes its own: a forked
 * node must not end through node's teardown). */
function main(exit = exitNow) {
  const [mode, entryPoint] = process.argv.slice(2);
  if (mode === 'tests') runTests();
  else if (mode === 'warm') warm();
  else if (mode === 'serve') serve(entryPoint);
  else if (mode === 'check') check(entryPoint);
  else throw new Error(`unknown mode ${mode}`);
  exit(0); // not process.exit: the solution may have replaced it, or left timers and handlers behind
}

// Run by node (the cold path, a node started ahead), or loaded by the zygote, which calls main() in each run.
if (require.main === module) main();
else module.exports = { main };
