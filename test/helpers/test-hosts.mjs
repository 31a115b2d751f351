// Preloaded into a subprocess (NODE_OPTIONS=--import) so that the names in KUBEPLAN_TEST_HOSTS (comma-separated)
// resolve to 127.0.0.1 without /etc/hosts: a test can reach a bench server by a name that is not loopback, as a
// runner reaches a real server, for example to show NO_PROXY bypassing a proxy for that name.
import dns from 'node:dns';

const names = new Set((process.env.KUBEPLAN_TEST_HOSTS ?? '').split(',').filter(Boolean));
const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  return lookup.call(this, names.has(String(hostname).toLowerCase()) ? '127.0.0.1' : hostname, options, callback);
};
