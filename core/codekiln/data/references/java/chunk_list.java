import java.util.*;

class Solution {
    public static List<List<Long>> chunkList(List<Long> values, long size) {
        List<List<Long>> chunks = new ArrayList<>();
        for (int i = 0; i < values.size(); i += (int) size) {
            chunks.add(new ArrayList<>(values.subList(i, (int) Math.min(values.size(), i + size))));
        }
        return chunks;
    }
}
