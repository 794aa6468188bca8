/**
 * While a listener closes, requests still arriving on open keep-alive connections are refused
 * with 503 in Taskcluster's shape (Fastify's own `return503OnClosing` writes a body of its own
 * shape, so a gateway app turns that off and registers this instead).
 */
import fp from 'fastify-plugin';
import { GatewayError } from '../core/errors.js';

export const refuseWhileClosing = fp(
  async (app) => {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', async (_request, reply) => {
      if (!closing) return;
      reply.header('connection', 'close');
      throw new GatewayError('ServiceUnavailable', 'The gateway is shutting down; retry on a new connection');
    });
  },
  { name: 'taskcluster-gateway-refuse-while-closing', fastify: '5.x' },
);
