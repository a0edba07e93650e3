// Differential test: random templates rendered by @huggingface/jinja and by odma
// (chat_template_dump) must agree. Deterministic for a given seed.
//   node fuzz_chat_templates.mjs DUMP_BINARY [SEED=1] [COUNT=3000]
// Half the cases are small random templates; the other half render the shipped templates
// (data/chat_templates) with random conversations: roles, contents, tool calls, extra variables.
// A case agrees when both render the same text, or both fail. Two differences are by design and
// counted apart: odma rejects unsupported filters at load even in code that never runs, and a
// lone UTF-16 surrogate (from indexing into an emoji) is U+FFFD in odma's UTF-8 output, as it
// becomes when the oracle's string is encoded. Exit 1 on any other difference.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";

process.env.TZ = "UTC";
const RealDate = Date;
const FIXED_NOW = new RealDate(2025, 2, 9, 14, 5, 0).getTime();  // as render_golden.mjs
globalThis.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length === 0 ? [FIXED_NOW] : args));
  }
  static now() {
    return FIXED_NOW;
  }
};
const { Template } = await import("@huggingface/jinja");
const [dump, seedArg = "1", countArg = "3000"] = process.argv.slice(2);
if (!dump) {
  console.error("usage: node fuzz_chat_templates.mjs DUMP_BINARY [SEED] [COUNT]");
  process.exit(2);
}
let seed = Number(seedArg);
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed / 2147483648);
const pick = (a) => a[Math.floor(rnd() * a.length)];

const literals = ["0", "1", "2", "-3", "7", "1.5", "0.0", "2.0", "'a'", "'abc'", "''", "' x '", "'A b'", "'é'", "'😀z'", "'1'", "'0'",
  "true", "false", "none", "None", "[]", "[1, 2, 3]", "['b', 'a']", "[1, 'a', none]", "{}", "{'k': 1, 'j': [1]}", "u", "s", "n", "xs",
  "d", "m", "nope", "(1, 2)", "[[1], [2]]", "m.role", "xs|length", "'a,b,c'", "' Hello World '", "a", "b"];
const operators = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "and", "or", "**"];
const filters = ["length", "upper", "lower", "trim", "tojson", "string", "first", "last", "join", "list", "reverse", "sort", "unique",
  "items", "default('x')", "default('y', true)", "int", "float", "abs", "indent(2)", "replace('a', 'b')", "title", "capitalize",
  "join(',')", "tojson(indent=2)", "tojson(ensure_ascii=true)", "safe", "int(5)", "keys", "values", "dictsort", "map(attribute='k')",
  "selectattr('k')", "indent(1, true, true)", "replace(' ', '_', 1)"];
const tests = ["defined", "undefined", "none", "string", "number", "iterable", "mapping", "sequence", "odd", "even", "true", "false",
  "boolean", "lower", "upper", "integer", "callable"];
const suffixes = ["[0]", "[-1]", "[1]", ".length", "['k']", "[1:]", "[::-1]", "[:1]", "[-2:]", ".upper()", ".lower()", ".strip()",
  ".lstrip()", ".rstrip()", ".split(',')", ".split()", ".split(' ', 1)", ".split('</think>')[-1]", ".startswith('a')",
  ".endswith(('c', 'z'))", ".get('k')", ".get('q', 3)", ".items()", ".keys()", ".values()", ".title()", ".capitalize()",
  ".replace('a', 'x')", ".replace('', '.')", ".k", ".0"];
const atoms = ["a", "B", "z", " ", "  ", "\n", "\t", "\r", "\u00a0", "\u3000", "\u2028", "\ufeff", "\u0085", "\u200b", "é", "e\u0301",
  "ß", "İ", "Σ", "ΑΣ", "σ", "ﬁ", "ǅ", "ǰ", "ŉ", "😀", "👩‍💻", "🇯🇵", "中文", "\u0001", "\u007f", '"', "\\", "'", "</", "<think>",
  "</think>", ",", "-", "_", "x1", "1", "Ω", "ı", "\u0345", "{{", "%}"];
const randomString = () => Array.from({ length: Math.floor(rnd() * 8) }, () => pick(atoms)).join("");

function expr(depth) {
  const r = rnd();
  if (depth > 3 || r < 0.25) return pick(literals);
  if (r < 0.45) return `(${expr(depth + 1)} ${pick(operators)} ${expr(depth + 1)})`;
  if (r < 0.6) return `${expr(depth + 1)}|${pick(filters)}`;
  if (r < 0.7) return `(${expr(depth + 1)} is ${rnd() < 0.3 ? "not " : ""}${pick(tests)})`;
  if (r < 0.85) return `${pick(literals)}${pick(suffixes)}`;
  if (r < 0.9) return `(not ${expr(depth + 1)})`;
  if (r < 0.95) return `(${expr(depth + 1)} if ${expr(depth + 1)} else ${expr(depth + 1)})`;
  return `-${expr(depth + 1)}`;
}
const ws = () => pick(["", " ", "  ", "\n", " \n", "\n  ", "\t", "\n\n", "\r\n", "\u00a0", "\u3000\n", "x", "-}\n", "%}\n", "#}", " {", "}"]);
const dash = () => pick(["", "-"]);
function tag() {
  return pick([
    `{%${dash()} if ${pick(["true", "false", "u", "nope"])} ${dash()}%}${ws()}A${ws()}{%${dash()} else ${dash()}%}${ws()}B${ws()}{%${dash()} endif ${dash()}%}`,
    `{{${dash()} ${pick(["u", "'q'", "n", "nope", "' s '"])} ${dash()}}}`, `{#${dash()} c ${dash()}#}`, `{%${dash()} set z = 1 ${dash()}%}`,
    `{%${dash()} generation ${dash()}%}`, `{%${dash()} endgeneration ${dash()}%}`,
    `{%${dash()} for i in [1, 2] ${dash()}%}${ws()}{{ i }}${ws()}{%${dash()} endfor ${dash()}%}`,
  ]);
}
function statement() {
  const r = rnd();
  if (r < 0.3) return Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => ws() + tag() + ws()).join("");
  if (r < 0.6) return `{{ ${expr(0)} }}`;
  if (r < 0.7) return `{% for x in ${pick(["xs", "[1, 2]", "d", "'ab'", "d.items()", "[]", "range(3)", "nope"])} %}{{ loop.index }}{{ x }}{% if ${expr(1)} %}{% continue %}{% endif %}.{% else %}E{% endfor %}`;
  if (r < 0.8) return `{% if ${expr(0)} %}T{% elif ${expr(1)} %}E{% else %}F{% endif %}`;
  if (r < 0.9) return `{% set v = ${expr(0)} %}[{{ v }}]`;
  return `  {%- if ${expr(1)} -%}\n  a {{- ${expr(1)} }}\n{% endif %}\n b`;
}

const dataDir = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "..", "data", "chat_templates");
const shipped = fs.readdirSync(dataDir).filter((f) => f.endsWith(".json")).map((f) => JSON.parse(fs.readFileSync(path.join(dataDir, f), "utf8")));
const token = (t) => (t && typeof t === "object" ? t.content : t);
function conversation() {
  const roles = ["system", "user", "assistant", "user", "assistant", "tool", "ipython", "developer"];
  const messages = Array.from({ length: Math.floor(rnd() * 7) }, () => {
    const m = { role: pick(roles), content: rnd() < 0.9 ? randomString() + pick(["", "<think>" + randomString() + "</think>" + randomString()]) : null };
    if (m.role === "assistant" && rnd() < 0.25) {
      m.tool_calls = [{ type: "function", function: { name: pick(["f", "get_weather"]), arguments: rnd() < 0.5 ? { x: randomString() } : '{"x": 1}' } }];
    }
    if (m.role === "assistant" && rnd() < 0.1) m.reasoning_content = randomString();
    return m;
  });
  return messages;
}
function templateCase() {
  const config = pick(shipped);
  const context = { messages: conversation(), add_generation_prompt: rnd() < 0.5, tools: null, documents: null };
  for (const k of ["bos_token", "eos_token", "unk_token", "pad_token"]) if (token(config[k])) context[k] = token(config[k]);
  if (rnd() < 0.2) context.tools = [{ type: "function", function: { name: "f", description: randomString(), parameters: { type: "object", properties: { x: { type: "string" } } } } }];
  if (rnd() < 0.2) context.enable_thinking = rnd() < 0.5;
  if (rnd() < 0.1) context.date_string = randomString();
  return { template: config.chat_template, context };
}

const cases = [];
for (let i = 0; i < Number(countArg); ++i) {
  if (i % 2 === 1) {
    cases.push(templateCase());
    continue;
  }
  const context = { u: "User", s: " spaced\n", n: 3, xs: [3, 1, 2], d: { k: "v", a: 1 }, m: { role: "user", content: "hi" }, a: randomString(), b: randomString() };
  cases.push({ template: statement() + (rnd() < 0.3 ? statement() : ""), context });
}
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "odma-fuzz-")), "cases.json");
fs.writeFileSync(file, JSON.stringify(cases));
const odma = JSON.parse(execFileSync(dump, [file], { maxBuffer: 1 << 30 }).toString());

const count = { same: 0, bothFail: 0, deadCode: 0, surrogate: 0, differ: 0, message: 0 };
const hasLoneSurrogate = (s) => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
for (let i = 0; i < cases.length; ++i) {
  let oracle;
  try {
    oracle = { output: new Template(cases[i].template).render(cases[i].context) };
  } catch (e) {
    oracle = { error: e.message, kind: e.constructor.name };
  }
  const mine = odma[i];
  // Runtime errors (not the oracle's own crashes or syntax errors) must carry its message.
  if (oracle.error !== undefined && mine.error !== undefined && oracle.kind === "Error" &&
      !/^(Parser Error|Unexpected|Expected|Unknown statement|Missing end)/.test(oracle.error) &&
      !/unsupported|needs arguments|takes no arguments/.test(mine.error) && !mine.error.includes(oracle.error)) {
    ++count.message;
    if (count.message <= 5) console.error(JSON.stringify({ template: cases[i].template.slice(0, 200), oracle: oracle.error, odma: mine.error }));
  }
  if (oracle.output !== undefined && mine.output === oracle.output) ++count.same;
  else if (oracle.error !== undefined && mine.error !== undefined) ++count.bothFail;
  else if (oracle.output !== undefined && /unsupported filter/.test(mine.error ?? "")) ++count.deadCode;
  else if (oracle.output !== undefined && hasLoneSurrogate(oracle.output) &&
           Buffer.from(oracle.output, "utf8").toString() === mine.output) ++count.surrogate;
  else {
    ++count.differ;
    if (count.differ <= 5) {
      console.error(JSON.stringify({ template: cases[i].template.slice(0, 300), context: cases[i].context, oracle, odma: mine }).slice(0, 2000));
    }
  }
}
console.error(`seed ${seedArg}: ${count.same} same, ${count.bothFail} both fail, ${count.deadCode} unsupported filter in dead code, ${count.surrogate} lone surrogate, ${count.differ} differ, ${count.message} error messages differ`);
process.exit(count.differ === 0 && count.message === 0 ? 0 : 1);
