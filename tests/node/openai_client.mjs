// The official `openai` npm package against `odma serve`: what a Node.js user's client sees.
// Usage: node openai_client.mjs BASE_URL MODEL → one JSON object on stdout (the C++ test reads it).
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: "unused", maxRetries: 0 });
const messages = [
  { role: "system", content: "You tell short stories." },
  { role: "user", content: "Tell me about a cat." },
];
const out = {};

const chat = await client.chat.completions.create({ model, messages, max_tokens: 24, temperature: 0 });
out.chat = {
  object: chat.object,
  content: chat.choices[0].message.content,
  role: chat.choices[0].message.role,
  finish_reason: chat.choices[0].finish_reason,
  usage: chat.usage,
};

const stream = await client.chat.completions.create({
  model, messages, max_tokens: 24, temperature: 0, stream: true,
  stream_options: { include_usage: true },
});
let text = "", firstRole = null, finish = null, usage = null, ids = new Set(), chunks = 0;
for await (const chunk of stream) {
  ids.add(chunk.id);
  chunks += 1;
  if (chunk.usage) usage = chunk.usage;
  if (chunk.choices.length === 0) continue;
  const c = chunk.choices[0];
  if (firstRole === null && c.delta.role) firstRole = c.delta.role;
  if (c.delta.content) text += c.delta.content;
  if (c.finish_reason) finish = c.finish_reason;
}
out.chat_stream = { content: text, first_role: firstRole, finish_reason: finish, usage, ids: ids.size, chunks };

const completion = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 16, temperature: 0 });
out.completion = { object: completion.object, text: completion.choices[0].text, usage: completion.usage };
const cstream = await client.completions.create({ model, prompt: "Once upon a time", max_tokens: 16, temperature: 0, stream: true });
let ctext = "";
for await (const chunk of cstream) if (chunk.choices.length) ctext += chunk.choices[0].text;
out.completion_stream = { text: ctext };

// n = 3 parallel samples, whole and streamed (each chunk names its choice's index).
const nParams = { model, messages, max_tokens: 12, temperature: 1, seed: 7, n: 3 };
const nWhole = await client.chat.completions.create(nParams);
const nStream = await client.chat.completions.create({ ...nParams, stream: true });
const nTexts = ["", "", ""];
for await (const chunk of nStream) for (const c of chunk.choices) nTexts[c.index] += c.delta.content ?? "";
out.n = {
  indexes: nWhole.choices.map((c) => c.index),
  contents: nWhole.choices.map((c) => c.message.content),
  streamed: nTexts,
  usage: nWhole.usage,
};

// Log-probabilities: chat's logprobs.content[] with two alternatives per token.
const lp = await client.chat.completions.create({
  model, messages, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 2,
});
const lpContent = lp.choices[0].logprobs.content;
out.logprobs = {
  tokens: lpContent.length,
  alternatives: lpContent.map((c) => c.top_logprobs.length),
  greedy_is_top: lpContent.every((c) => c.top_logprobs[0].token === c.token),
  all_negative: lpContent.every((c) => c.logprob <= 0),
};

try {
  await client.completions.create({ model, prompt: "Hi", max_tokens: 10000000 });
  out.error = { status: 0 };
} catch (e) {
  out.error = { status: e.status, code: e.code, type: e.type, message: e.message };
}
const models = await client.models.list();
out.models = models.data.map((m) => m.id);
console.log(JSON.stringify(out));
