package org.elu4j.bench.report;

import de.erichseifert.vectorgraphics2d.Processors;
import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.util.PageSize;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * Writes several XChart charts as one figure, a grid of panels, to PNG and SVG (XChart's own
 * encoders write one chart per file, or a grid as bitmap only).
 */
public final class Charts {
    private Charts() {
    }

    /** Paints the charts row by row, {@code cols} per row, each {@code w × h}, into both files. */
    public static void saveGrid(List<? extends Chart<?, ?>> charts, int cols, int w, int h, Path png, Path svg)
            throws IOException {
        int rows = (charts.size() + cols - 1) / cols;
        BufferedImage image = new BufferedImage(cols * w, rows * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        paint(g, charts, cols, w, h, rows);
        g.dispose();
        ImageIO.write(image, "png", png.toFile());

        VectorGraphics2D v = new VectorGraphics2D();
        paint(v, charts, cols, w, h, rows);
        try (OutputStream out = Files.newOutputStream(svg)) {
            Processors.get("svg").getDocument(v.getCommands(), new PageSize(0, 0, cols * w, rows * h)).writeTo(out);
        }
    }

    private static void paint(Graphics2D g, List<? extends Chart<?, ?>> charts, int cols, int w, int h, int rows) {
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, cols * w, rows * h);
        for (int i = 0; i < charts.size(); i++) {
            Graphics2D panel = (Graphics2D) g.create((i % cols) * w, (i / cols) * h, w, h);
            charts.get(i).paint(panel, w, h);
            panel.dispose();
        }
    }
}
