// Who is calling: the client IP used for lockout, loopback checks and the audit log.

interface IpSource {
  requestIP(request: Request): { address: string } | null;
}

/** `::ffff:127.0.0.1` (IPv4-mapped, as dual-stack sockets report it) → `127.0.0.1`. */
const unmap = (ip: string): string => ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/**
 * The socket peer, or the first `X-Forwarded-For` entry when a trusted reverse proxy sets it
 * (`ABSTRACTGATEWAY_TRUST_PROXY=1`; never enable it when clients can reach the server directly).
 */
export function clientIp(request: Request, server: IpSource | null, trustProxy: boolean): string {
  if (trustProxy) {
    const first = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
    if (first) return unmap(first);
  }
  const peer = server?.requestIP(request)?.address;
  return peer ? unmap(peer) : 'unknown';
}

export function isLoopback(ip: string): boolean {
  return ip === '::1' || ip === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(ip);
}
