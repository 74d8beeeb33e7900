/**
 * The {@code rwkv} command line. It exports nothing; picocli reads its commands' options reflectively.
 */
module dev.rwkvjava.cli {
    requires dev.rwkvjava.core;
    requires dev.rwkvjava.serve;
    requires com.fasterxml.jackson.databind;
    requires info.picocli;
    requires java.logging;
    requires java.management;

    opens dev.rwkvjava.cli to info.picocli;
}
