// What the Kafka 4 broker itself says about a group, through the broker jars' own Admin (the calls
// kafka-consumer-groups.sh --describe --state/--members --verbose/--offsets makes), so a test can
// check a group's type, state, epochs and offsets without kafkajs, which cannot see KIP-848 groups.
// Run from source (Java 17+): java -cp "$CHRONO_TEST_KAFKA4_LIBS/*" GroupInspector.java <bootstrap> <group>
// Prints one JSON line: {"type","state","groupEpoch","members":[{"memberId","clientId","epoch","assigned"}],"offsets":{"topic:partition":offset}}
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

public class GroupInspector {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    String group = args[1];
    try (Admin admin = Admin.create(props)) {
      ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      List<String> members = new ArrayList<>();
      for (MemberDescription m : description.members()) {
        List<String> assigned = new ArrayList<>();
        for (TopicPartition tp : m.assignment().topicPartitions()) assigned.add(quote(tp.topic() + ":" + tp.partition()));
        assigned.sort(null);
        members.add("{\"memberId\":" + quote(m.consumerId()) + ",\"clientId\":" + quote(m.clientId())
            + ",\"epoch\":" + m.memberEpoch().map(String::valueOf).orElse("null") + ",\"assigned\":" + assigned + "}");
      }
      Map<String, Long> byPartition = new TreeMap<>();
      offsets.forEach((tp, o) -> { if (o != null) byPartition.put(tp.topic() + ":" + tp.partition(), o.offset()); });
      List<String> offsetEntries = new ArrayList<>();
      byPartition.forEach((k, v) -> offsetEntries.add(quote(k) + ":" + v));
      System.out.println("{\"type\":" + quote(String.valueOf(description.type())) + ",\"state\":" + quote(String.valueOf(description.groupState()))
          + ",\"groupEpoch\":" + description.groupEpoch().map(String::valueOf).orElse("null") + ",\"members\":" + members
          + ",\"offsets\":{" + String.join(",", offsetEntries) + "}}");
    }
  }

  private static String quote(String text) {
    return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
