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
