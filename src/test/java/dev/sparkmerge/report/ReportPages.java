package dev.sparkmerge.report;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * A written report.html parsed by the JDK's strict XML parser (any unbalanced tag, bad entity or
 * stray character fails the parse), with XPath look-ups for the tests.
 */
final class ReportPages {
  final Document doc;
  final String text;

  private ReportPages(Document doc, String text) {
    this.doc = doc;
    this.text = text;
  }

  static ReportPages parse(Path html) throws Exception {
    String text = Files.readString(html, StandardCharsets.UTF_8);
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(
        text.getBytes(StandardCharsets.UTF_8)));
    return new ReportPages(doc, text);
  }

  List<Element> all(String xpath) throws Exception {
    NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath().evaluate(xpath, doc,
        XPathConstants.NODESET);
    List<Element> out = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      out.add((Element) nodes.item(i));
    }
    return out;
  }

  /** The hover points of one chart. */
  List<Element> points(String chart) throws Exception {
    return all("//figure[@data-chart='" + chart + "']//circle[@class='point']");
  }

  /** The hover points of one series of one chart. */
  List<Element> points(String chart, String series) throws Exception {
    return all("//figure[@data-chart='" + chart + "']//circle[@class='point' and @data-series='"
        + series + "']");
  }

  List<Element> cells(String chart) throws Exception {
    return all("//figure[@data-chart='" + chart + "']//rect[@class='cell']");
  }

  static double num(Element e, String attribute) {
    return Double.parseDouble(e.getAttribute(attribute));
  }
}
