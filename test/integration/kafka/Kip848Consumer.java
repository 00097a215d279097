// A KIP-848 consumer made of the broker's own client classes, so a test can prove a Kafka 4 broker
// runs the new consumer group protocol (kafkajs speaks only the classic one).
// Run from source (Java 17+): java -cp "$CHRONO_TEST_KAFKA4_LIBS/*" Kip848Consumer.java <bootstrap> <topic> <group> <messages>
// It prints one line per step, then stays a live group member until its stdin closes.
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.server.common.MetadataVersion;

public class Kip848Consumer {
  private static volatile boolean stdinClosed = false;

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], group = args[2];
    int expected = Integer.parseInt(args[3]);
    Thread watcher = new Thread(() -> {
      try (InputStream in = System.in) { while (in.read() != -1) { } } catch (Exception ignored) { }
      stdinClosed = true;
    });
    watcher.setDaemon(true);
    watcher.start();

    Properties adminProps = new Properties();
    adminProps.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(adminProps)) {
      Map<String, FinalizedVersionRange> features = admin.describeFeatures().featureMetadata().get().finalizedFeatures();
      short metadataLevel = features.get("metadata.version").maxVersionLevel();
      FinalizedVersionRange groupVersion = features.get("group.version");
      say("broker metadata.version=" + MetadataVersion.fromFeatureLevel(metadataLevel).version()
          + " group.version=" + (groupVersion == null ? 0 : groupVersion.maxVersionLevel()));

      Properties props = new Properties();
      props.put("bootstrap.servers", bootstrap);
      props.put("group.id", group);
      props.put("group.protocol", "consumer");
      props.put("auto.offset.reset", "earliest");
      props.put("enable.auto.commit", "false");
      props.put("key.deserializer", StringDeserializer.class.getName());
      props.put("value.deserializer", StringDeserializer.class.getName());
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
        consumer.subscribe(List.of(topic));
        int seen = 0;
        long deadline = System.currentTimeMillis() + 60_000;
        while (seen < expected) {
          if (System.currentTimeMillis() > deadline) throw new IllegalStateException("consumed only " + seen + " of " + expected);
          seen += consumer.poll(Duration.ofMillis(200)).count();
        }
        consumer.commitSync();
        say("committed " + seen);
        ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
        say("group type=" + description.type() + " state=" + description.groupState() + " members=" + description.members().size());
        // Stay a member (heartbeats ride on poll) until the test is done looking.
        while (!stdinClosed) consumer.poll(Duration.ofMillis(200));
      }
    }
    say("closed");
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
