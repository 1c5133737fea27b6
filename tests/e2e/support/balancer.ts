// The balancer moved to scripts/ so that the load benchmark (scripts/bench/load.ts) runs the same one.
export { startBalancer, type Balancer, type Served, type Upstream } from '../../../scripts/balancer'
