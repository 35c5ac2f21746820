import java.util.*;
import org.javatuples.Pair;

class Solution {
    public static long minMeetingRooms(List<Pair<Long, Long>> meetings) {
        List<long[]> events = new ArrayList<>();  // (time, +1 for a start or -1 for an end)
        for (Pair<Long, Long> meeting : meetings) {
            events.add(new long[] {meeting.getValue0(), 1});
            events.add(new long[] {meeting.getValue1(), -1});
        }
        // At equal times ends come first: a room freed at t can host a meeting starting at t.
        events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        long inUse = 0;
        long best = 0;
        for (long[] event : events) {
            inUse += event[1];
            best = Math.max(best, inUse);
        }
        return best;
    }
}
