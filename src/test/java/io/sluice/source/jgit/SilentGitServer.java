package io.sluice.source.jgit;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@code git://} server that accepts connections and never answers, or (trickling) starts a
 * 65,520-byte packet line and sends one byte of it a second: a per-read timeout never fires on it.
 */
public final class SilentGitServer implements AutoCloseable {
    private final ServerSocket server;
    private final boolean trickle;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    private SilentGitServer(boolean trickle) throws IOException {
        this.trickle = trickle;
        this.server = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("silent-git-accept").start(this::accept);
    }

    public static SilentGitServer silent() throws IOException {
        return new SilentGitServer(false);
    }

    public static SilentGitServer trickling() throws IOException {
        return new SilentGitServer(true);
    }

    public String url(String repository) {
        return "git://127.0.0.1:" + server.getLocalPort() + "/" + repository;
    }

    public int connections() {
        return accepted.size();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.add(socket);
                if (trickle) {
                    Thread.ofPlatform().daemon().name("silent-git-trickle").start(() -> trickle(socket));
                }
            } catch (IOException closed) {
                return;
            }
        }
    }

    private static void trickle(Socket socket) {
        try {
            OutputStream out = socket.getOutputStream();
            out.write("fff0".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            while (!socket.isClosed()) {
                Thread.sleep(1000);
                out.write('#');
                out.flush();
            }
        } catch (IOException | InterruptedException ended) {
            // the client went away, or the test ended
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket socket : accepted) {
            socket.close();
        }
    }
}
