// Structured outputs and tool calls through the official `openai` npm client against `odma serve`,
// with Ajv (a JSON Schema validator, draft 2020-12, with ajv-formats) as the oracle.
// Usage: node structured_client.mjs BASE_URL MODEL SCHEMA_DIR SEEDS [TOOL_SERVER_URL ...] → one JSON
// object on stdout; each TOOL_SERVER_URL serves the same model with another tool-call syntax.
//
// A random-weight model never closes an unbounded string by chance (a closing quote is about one
// Qwen2 token in 150,000), so each corpus schema is sent in a bounded variant: strings without a
// length, pattern or format get maxLength 8, arrays without maxItems get maxItems 3. Every output
// that ends (finish_reason "stop") must validate against the original schema and the variant.
import fs from "node:fs";
import path from "node:path";
import OpenAI from "openai";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [baseURL, model, schemaDir, seedsArg, ...toolServers] = process.argv.slice(2);
const seeds = Number(seedsArg ?? 2);
const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
// One validator per schema: corpus schemas carry $id, which one Ajv instance accepts only once.
function newAjv() {
  const a = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(a);
  return a;
}
const ajv = newAjv();
const messages = [{ role: "user", content: "Answer in JSON." }];

function bounded(schema) {
  if (Array.isArray(schema)) return schema.map(bounded);
  if (schema === null || typeof schema !== "object") return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    // Values of these keywords are data, not schemas.
    out[k] = ["enum", "const", "default", "examples", "required"].includes(k) ? v : bounded(v);
  }
  const types = [].concat(schema.type ?? []);
  if (types.includes("string") && out.maxLength === undefined && out.pattern === undefined &&
      out.format === undefined && out.enum === undefined && out.const === undefined) {
    out.maxLength = Math.max(8, out.minLength ?? 0);
  }
  if (types.includes("array") && out.maxItems === undefined) {
    out.maxItems = Math.max(3, out.minItems ?? 0);
  }
  return out;
}

const corpus = fs.readdirSync(schemaDir).filter((f) => f.endsWith(".json")).sort();
const out = { schemas: corpus.length, requests: 0, stopped: 0, truncated: 0, valid: 0,
              invalid: [], refused: [], unsupported: {}, streamed: null, tools: null };

for (const file of corpus) {
  const schema = JSON.parse(fs.readFileSync(path.join(schemaDir, file), "utf8"));
  const check = newAjv().compile(schema);
  const variant = bounded(schema);
  const checkVariant = newAjv().compile(variant);
  for (let seed = 0; seed < seeds; ++seed) {
    out.requests += 1;
    let r;
    try {
      r = await client.chat.completions.create({
        model, messages, max_tokens: 400, temperature: 1, seed,
        response_format: { type: "json_schema",
                           json_schema: { name: path.basename(file, ".json"), schema: variant, strict: true } },
      });
    } catch (e) {
      out.refused.push({ file, status: e.status, message: e.message });
      break;
    }
    const c = r.choices[0];
    if (c.finish_reason !== "stop") { out.truncated += 1; continue; }
    out.stopped += 1;
    let value;
    try { value = JSON.parse(c.message.content); } catch (e) {
      out.invalid.push({ file, seed, content: c.message.content, error: "not JSON" });
      continue;
    }
    if (check(value) && checkVariant(value)) {
      out.valid += 1;
    } else {
      out.invalid.push({ file, seed, content: c.message.content,
                         errors: [...(check.errors ?? []), ...(checkVariant.errors ?? [])] });
    }
  }
}

// Schemas odma refuses ({"expected_error_path", "schema"}): a 400 whose message names the path.
const unsupportedDir = path.join(schemaDir, "unsupported");
for (const file of fs.existsSync(unsupportedDir) ? fs.readdirSync(unsupportedDir).sort() : []) {
  if (!file.endsWith(".json")) continue;
  const { expected_error_path: expected, schema } =
    JSON.parse(fs.readFileSync(path.join(unsupportedDir, file), "utf8"));
  try {
    await client.chat.completions.create({
      model, messages, max_tokens: 4,
      response_format: { type: "json_schema", json_schema: { name: "x", schema } },
    });
    out.unsupported[file] = { status: 200 };
  } catch (e) {
    out.unsupported[file] = { status: e.status, param: e.param, message: e.message,
                              names_path: e.message.includes(expected) };
  }
}

// Streamed: the content deltas reassemble to a value of the schema.
{
  const schema = { type: "object", properties: { ok: { type: "boolean" }, n: { type: "integer", minimum: 0, maximum: 99 } },
                   required: ["ok", "n"], additionalProperties: false };
  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 60, temperature: 1, seed: 1, stream: true,
    response_format: { type: "json_schema", json_schema: { name: "s", schema } },
  });
  let text = "", finish = null;
  for await (const chunk of stream) {
    if (!chunk.choices.length) continue;
    text += chunk.choices[0].delta.content ?? "";
    if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
  }
  let valid = false;
  try { valid = ajv.validate(schema, JSON.parse(text)); } catch {}
  out.streamed = { finish, valid, text };
}

// Tools: a required call (whole and streamed) whose arguments validate against the tool's
// parameters, then the call and the tool's answer back to the model. Run against the main server
// (Hermes, Qwen2.5's template) and each extra server given (other templates and parsers).
async function toolRoundTrip(api) {
  const tools = [
    { type: "function", function: { name: "get_weather", description: "Current weather",
      parameters: { type: "object", properties: { city: { type: "string", maxLength: 8 },
                                                  unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
                    required: ["city", "unit"], additionalProperties: false } } },
    { type: "function", function: { name: "add", description: "Adds two integers",
      parameters: { type: "object", properties: { a: { type: "integer", minimum: 0, maximum: 9 },
                                                  b: { type: "integer", minimum: 0, maximum: 9 } },
                    required: ["a", "b"], additionalProperties: false } } },
  ];
  const byName = Object.fromEntries(tools.map((t) => [t.function.name, ajv.compile(t.function.parameters)]));
  const validCall = (call) => {
    try { return call.type === "function" && byName[call.function.name]?.(JSON.parse(call.function.arguments)) === true; }
    catch { return false; }
  };
  const ask = { model, messages: [{ role: "user", content: "What is 2 + 3?" }], tools, max_tokens: 120,
                temperature: 1, seed: 3, tool_choice: "required", parallel_tool_calls: false };
  const whole = await api.chat.completions.create(ask);
  const msg = whole.choices[0].message;
  const stream = await api.chat.completions.create({ ...ask, stream: true });
  const calls = [];
  let finish = null;
  for await (const chunk of stream) {
    if (!chunk.choices.length) continue;
    const c = chunk.choices[0];
    if (c.finish_reason) finish = c.finish_reason;
    for (const d of c.delta.tool_calls ?? []) {
      if (d.id) calls[d.index] = { id: d.id, type: d.type, function: { name: d.function.name, arguments: "" } };
      calls[d.index].function.arguments += d.function.arguments ?? "";
    }
  }
  const named = await api.chat.completions.create({
    ...ask, tool_choice: { type: "function", function: { name: "add" } }, parallel_tool_calls: false });
  const followUp = await api.chat.completions.create({
    model, tools, max_tokens: 8, temperature: 0,
    messages: [...ask.messages, msg,
               ...msg.tool_calls.map((c) => ({ role: "tool", tool_call_id: c.id, content: "5" }))],
  });
  return {
    finish: whole.choices[0].finish_reason,
    content: msg.content,
    calls: msg.tool_calls.length,
    all_valid: msg.tool_calls.every(validCall),
    ids_unique: new Set(msg.tool_calls.map((c) => c.id)).size === msg.tool_calls.length,
    stream_finish: finish,
    stream_same: calls.length === msg.tool_calls.length &&
      calls.every((c, i) => c.function.name === msg.tool_calls[i].function.name &&
                            c.function.arguments === msg.tool_calls[i].function.arguments),
    named: named.choices[0].message.tool_calls.map((c) => c.function.name),
    named_valid: named.choices[0].message.tool_calls.every(validCall),
    follow_up_finish: followUp.choices[0].finish_reason,
    follow_up_prompt_tokens: followUp.usage.prompt_tokens,
    first_prompt_tokens: whole.usage.prompt_tokens,
  };
}
out.tools = [await toolRoundTrip(client)];
for (const url of toolServers) {
  out.tools.push(await toolRoundTrip(new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 })));
}

process.stdout.write(JSON.stringify(out) + "\n");
