// The flow's graph as SVG, laid out from the VisualFlow node positions: execution edges solid, data edges
// dashed; nodes the ledger has visited are marked, the current node is highlighted (and pulses while waiting).
interface FlowNode { id: string; type?: string; position?: { x: number; y: number }; data?: { label?: string; nodeType?: string } }
interface FlowEdge { id?: string; source: string; target: string; sourceHandle?: string; targetHandle?: string }

const W = 150;
const H = 46;
const FIT = 1100;

export function FlowGraph({ flow, visited, current, waiting }: {
  flow: { nodes?: unknown; edges?: unknown } | null; visited: Set<string>; current: string | null; waiting: boolean;
}) {
  const nodes = (Array.isArray(flow?.nodes) ? flow!.nodes : []) as FlowNode[];
  const edges = (Array.isArray(flow?.edges) ? flow!.edges : []) as FlowEdge[];
  if (!nodes.length) return <p class="muted">No graph for this workflow.</p>;
  // Editors space nodes widely: squeeze the positions (not the boxes) so the graph fits ~FIT units across
  // and labels stay readable in a side panel.
  const raw = nodes.map((n, i) => ({ id: n.id, x: n.position?.x ?? i * 200, y: n.position?.y ?? 0 }));
  const spanX = Math.max(...raw.map((p) => p.x)) - Math.min(...raw.map((p) => p.x));
  let minGap = Infinity; // closest horizontal neighbours on overlapping rows: boxes must not collide
  for (const a of raw) for (const b of raw) if (a !== b && Math.abs(a.y - b.y) < H && b.x > a.x) minGap = Math.min(minGap, b.x - a.x);
  const fFit = spanX > 0 ? (FIT - W) / spanX : 1;
  const f = Math.min(1, Math.max(fFit, Number.isFinite(minGap) ? (W + 30) / minGap : 0));
  const pos = new Map(raw.map((p) => [p.id, { x: p.x * f, y: p.y * Math.max(f, 0.7) }]));
  const xs = [...pos.values()].map((p) => p.x);
  const ys = [...pos.values()].map((p) => p.y);
  const minX = Math.min(...xs) - 20;
  const minY = Math.min(...ys) - 20;
  const width = Math.max(...xs) - minX + W + 20;
  const height = Math.max(...ys) - minY + H + 20;
  const isExec = (e: FlowEdge) => /exec/.test(e.sourceHandle ?? '') || /exec/.test(e.targetHandle ?? '');

  return (
    <svg class="graph" viewBox={`${minX} ${minY} ${width} ${height}`} role="img"
      aria-label={`Flow graph: ${nodes.length} nodes, ${visited.size} visited${current ? `, current ${current}` : ''}`}
      style={{ maxHeight: `${Math.min(height, 240)}px`, maxWidth: `${width}px` }}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" class="arrow" />
        </marker>
      </defs>
      {edges.map((e) => {
        const a = pos.get(e.source);
        const b = pos.get(e.target);
        if (!a || !b) return null;
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
        const dx = Math.max(40, Math.abs(x2 - x1) / 2);
        const exec = isExec(e);
        const isSeen = (id: string) => visited.has(id) || (visited.size > 0 && nodes.some((n) => n.id === id && (n.data?.nodeType ?? n.type) === 'on_flow_start'));
        const done = exec && isSeen(e.source) && isSeen(e.target);
        return <path key={e.id ?? `${e.source}-${e.target}-${e.targetHandle}`} class={`edge ${exec ? 'exec' : 'data'} ${done ? 'done' : ''}`}
          d={`M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`} marker-end={exec ? 'url(#arrow)' : undefined} />;
      })}
      {nodes.map((n) => {
        const p = pos.get(n.id)!;
        // The start node makes no ledger record; a run that has any record has passed it.
        const seen = visited.has(n.id) || (visited.size > 0 && (n.data?.nodeType ?? n.type) === 'on_flow_start');
        const cls = n.id === current ? (waiting ? 'current waiting' : 'current') : seen ? 'visited' : '';
        return (
          <g key={n.id} class={`node ${cls}`} data-node-id={n.id} transform={`translate(${p.x},${p.y})`}>
            <title>{`${n.data?.label ?? n.id} (${n.data?.nodeType ?? n.type ?? 'node'})${cls ? ` — ${cls}` : ''}`}</title>
            <rect width={W} height={H} rx="8" />
            <text x="10" y="19" class="node-label">{(n.data?.label ?? n.id).slice(0, 20)}</text>
            <text x="10" y="35" class="node-type">{(n.data?.nodeType ?? n.type ?? '').slice(0, 22)}</text>
          </g>
        );
      })}
    </svg>
  );
}
