/** The sidebar's mark for Kafka: three linked nodes. */
export function KafkaIcon() {
  return (
    <svg width={16} height={16} viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth={1.5} strokeLinecap="round" aria-hidden="true">
      <circle cx="8" cy="3" r="1.8" />
      <circle cx="3.5" cy="12" r="1.8" />
      <circle cx="12.5" cy="12" r="1.8" />
      <path d="M7.2 4.6 4.3 10.4M8.8 4.6l2.9 5.8M5.3 12h5.4" />
    </svg>
  );
}
