/**
 * The consumer example as a named module: an application module that requires elu4j's module. On
 * the module path elu4j's downcalls need {@code --enable-native-access=org.elu4j} (the module
 * that makes them), and the vector backend {@code --add-modules jdk.incubator.vector} (elu4j
 * requires it statically, so it is not resolved unless asked for). It exports nothing, as an
 * application: {@code java -m org.elu4j.examples.consumer/org.elu4j.examples.consumer.ConsumerServer}
 * runs it, and surefire opens the package to the tests it patches in.
 */
module org.elu4j.examples.consumer {
    requires org.elu4j;
}
