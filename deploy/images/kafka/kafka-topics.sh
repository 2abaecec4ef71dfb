#!/bin/sh
# kafka-topics as the Kafka distribution names it (/opt/kafka/bin/kafka-topics.sh in apache/kafka),
# on the tools' own classpath.
exec java -Xmx256m -cp "/opt/kafka/tools-libs/*" org.apache.kafka.tools.TopicCommand "$@"
