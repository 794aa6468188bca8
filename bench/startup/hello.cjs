// The floor of the start-up bench: the least a Node server does before it answers.
require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.argv[2]), '127.0.0.1');
