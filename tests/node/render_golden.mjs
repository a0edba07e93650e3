// The oracle: renders odma's chat-template fixtures with @huggingface/jinja (the renderer of
// transformers.js), exactly as transformers.js' apply_chat_template calls it:
//   new Template(chat_template).render({messages, add_generation_prompt, tools: null,
//                                       documents: null, ...special_tokens, ...extra})
//
//   node render_golden.mjs           write data/chat_templates/fixtures/golden.json
//   node render_golden.mjs --print   print the golden JSON to stdout instead
//   node render_golden.mjs --check   exit 1 if the committed golden.json differs from a fresh render
// Every mode also checks data/chat_templates/fixtures/engine_cases.json: each case's expected
// output (written by hand) must be what the oracle renders, so the C++ unit cases that use the
// same file are oracle-checked too.
//
// strftime_now() reads the clock, so the clock is pinned: `new Date()` is 2025-03-09 14:05 in
// UTC. The C++ tests pin their clock to the same instant.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

process.env.TZ = "UTC";
const RealDate = Date;
const FIXED_NOW = new RealDate(2025, 2, 9, 14, 5, 0).getTime();
globalThis.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length === 0 ? [FIXED_NOW] : args));
  }
  static now() {
    return FIXED_NOW;
  }
};

const { Template } = await import("@huggingface/jinja");
const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.join(here, "..", "..", "data", "chat_templates");
const fixtures = path.join(dataDir, "fixtures");
const SPECIAL = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];
const jinjaVersion = JSON.parse(
  fs.readFileSync(path.join(here, "node_modules", "@huggingface", "jinja", "package.json"), "utf8"),
).version;

const probe = new Template("{{ strftime_now('%d %b %Y %H:%M') }}").render({});
if (probe !== "09 Mar 2025 14:05") {
  console.error(`clock pinning failed (got "${probe}"); run with an English locale, e.g. LC_ALL=C`);
  process.exit(2);
}

// transformers.js' getToken: a string, or an AddedToken object's content.
function specialTokens(config) {
  const out = {};
  for (const key of SPECIAL) {
    const item = config[key];
    if (!item) continue;
    const value = typeof item === "object" ? item.content : item;
    if (value) out[key] = value;
  }
  return out;
}

function render(template, context) {
  try {
    return { output: template.render(context) };
  } catch (e) {
    return { error: e.message };
  }
}

function renderGolden() {
  const { conversations } = JSON.parse(fs.readFileSync(path.join(fixtures, "conversations.json"), "utf8"));
  const names = fs.readdirSync(dataDir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
  const renders = [];
  for (const name of names) {
    const config = JSON.parse(fs.readFileSync(path.join(dataDir, `${name}.json`), "utf8"));
    const template = new Template(config.chat_template);
    const tokens = specialTokens(config);
    for (const conv of conversations) {
      for (const add_generation_prompt of [false, true]) {
        const context = {
          messages: conv.messages,
          add_generation_prompt,
          tools: null,
          documents: null,
          ...tokens,
          ...(conv.extra ?? {}),
        };
        renders.push({ template: name, conversation: conv.name, add_generation_prompt, ...render(template, context) });
      }
    }
  }
  return { oracle: `@huggingface/jinja@${jinjaVersion}`, now: "2025-03-09T14:05:00 (strftime_now, TZ=UTC)", renders };
}

// Engine cases: {name, template, context, expect} or {..., expect_error: "substring"};
// "oracle": false marks odma extensions the oracle lacks (not checked here).
function checkCases() {
  const cases = JSON.parse(fs.readFileSync(path.join(fixtures, "engine_cases.json"), "utf8")).cases;
  let bad = 0;
  for (const c of cases) {
    if (c.oracle === false) continue;
    let got;
    try {
      got = render(new Template(c.template), c.context ?? {});
    } catch (e) {
      got = { error: e.message };  // a parse error
    }
    const ok = "expect" in c ? got.output === c.expect : got.error !== undefined;
    if (!ok) {
      ++bad;
      console.error(`engine case "${c.name}": oracle gives ${JSON.stringify(got)}, expected ${JSON.stringify("expect" in c ? c.expect : { error: c.expect_error })}`);
    }
  }
  console.error(`engine cases: ${cases.length - bad} agree with the oracle, ${bad} differ`);
  return bad === 0;
}

const mode = process.argv[2] ?? "--write";
const golden = JSON.stringify(renderGolden(), null, 1) + "\n";
const goldenPath = path.join(fixtures, "golden.json");
let ok = checkCases();
if (mode === "--print") {
  process.stdout.write(golden);
} else if (mode === "--check") {
  const committed = fs.readFileSync(goldenPath, "utf8");
  if (committed !== golden) {
    const a = JSON.parse(committed).renders, b = JSON.parse(golden).renders;
    const key = (r) => `${r.template}/${r.conversation}/${r.add_generation_prompt}`;
    const old = new Map(a.map((r) => [key(r), JSON.stringify(r)]));
    for (const r of b) {
      if (old.get(key(r)) !== JSON.stringify(r)) console.error(`golden differs: ${key(r)}`);
    }
    console.error("golden.json is stale: run `node render_golden.mjs` and review the diff");
    ok = false;
  } else {
    console.error(`golden.json matches the oracle (${JSON.parse(golden).renders.length} renders)`);
  }
} else {
  fs.writeFileSync(goldenPath, golden);
  console.error(`wrote ${goldenPath}`);
}
process.exit(ok ? 0 : 1);
