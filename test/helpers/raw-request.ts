// Send an HTTP request exactly as written (fetch refuses hop-by-hop headers) and read the whole
// answer as text, until the server closes the connection.
import { connect } from 'node:net';

export function rawRequest(url: string, request: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.write(request);
  });
}

/**
 * One request as written, from `localAddress` when given, answered with JSON: its status and body.
 * The request must end the connection (Connection: close, HTTP/1.0, or one the server refuses);
 * it is written without half-closing, which Node's server takes as the client leaving.
 */
export function rawJsonExchange(port: number, request: string, localAddress?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
    });
    socket.write(request);
  });
}
