import Testing

@testable import HearthSpeech

@Suite struct TranscriptTests {
    let transcript = Transcript(
        language: "en", duration: 3725.5,
        segments: [
            Transcript.Segment(id: 0, start: 0, end: 2.5, text: " Hello there."),
            Transcript.Segment(id: 1, start: 3723.04, end: 3725.5, text: " Goodbye."),
        ])

    @Test func theTextJoinsTheSegments() {
        #expect(transcript.text == "Hello there. Goodbye.")
    }

    @Test func subtitlesCarryTheTimes() {
        #expect(
            transcript.srt == "1\n00:00:00,000 --> 00:00:02,500\nHello there.\n\n2\n01:02:03,040 --> 01:02:05,500\nGoodbye.\n")
        #expect(
            transcript.vtt == "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.\n\n01:02:03.040 --> 01:02:05.500\nGoodbye.\n")
    }
}
