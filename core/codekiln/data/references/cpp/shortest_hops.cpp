#include <map>
#include <queue>
#include <vector>

long long shortest_hops(std::map<long long, std::vector<long long>> graph, long long start, long long goal) {
    std::map<long long, long long> dist = {{start, 0}};
    std::queue<long long> queue;
    queue.push(start);
    while (!queue.empty()) {
        long long node = queue.front();
        queue.pop();
        if (node == goal) return dist[node];
        auto edges = graph.find(node);
        if (edges == graph.end()) continue;
        for (long long next : edges->second) {
            if (dist.emplace(next, dist[node] + 1).second) queue.push(next);
        }
    }
    return -1;
}
