// A load client in its own process (so its requests race the server's event loop like real clients do):
//   bun test/http/load-client.ts <base> <token> <clients> <requests-per-client>
// Each client POSTs /runs/start sequentially over a kept-alive connection; prints {"<status>": count} as JSON.
const [base, token, clients, per] = process.argv.slice(2);
if (!base || !token || !clients || !per) {
  console.error('usage: bun test/http/load-client.ts <base> <token> <clients> <requests-per-client>');
  process.exit(2);
}
const counts: Record<string, number> = {};
async function client(): Promise<void> {
  for (let i = 0; i < Number(per); i++) {
    const res = await fetch(`${base}/api/gateway/runs/start`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"bundle_id":"demo"}',
    });
    await res.arrayBuffer();
    counts[res.status] = (counts[res.status] ?? 0) + 1;
  }
}
await Promise.all(Array.from({ length: Number(clients) }, client));
console.log(JSON.stringify(counts));
export {};
